"""A workspace created by the previous release (revision 0011): ERP nulls become unknown."""

from __future__ import annotations

import json

from sqlalchemy import text

from store_rows import insert_document
from curator.store.database import current_revision, head_revision, make_engine, upgrade


def test_erp_nulls_become_unknown_and_gaps_are_recomputed(tmp_path, store_url):
    url = store_url or f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0011")  # the schema the previous release left
    legacy = {  # fields exactly as the previous release's map/teach/review wrote them
        "invoice_number": {"value": "INV-1", "source": "erp", "agent": "mapping:invoice-sap", "confidence": 0.9},
        "seller_vat_id": {"value": None, "source": "erp", "agent": "mapping:invoice-sap", "confidence": 0.9},
        "discount": {"value": None, "source": "teacher", "agent": "nova", "confidence": 0.8},
        "due_date": {"value": None, "source": "human", "agent": "rita", "confidence": 1.0},
        "total": {"value": 12.5, "source": "erp", "agent": "mapping:invoice-sap", "confidence": 0.9},
    }
    with engine.begin() as connection:
        insert_document(connection)
        connection.execute(text(
            "INSERT INTO label (document_sha256, schema_name, schema_version, fields, gaps, problems, status, version,"
            " created_at, updated_at) VALUES ('ab', 'invoice', '1', :fields, '[]', '[]', 'auto_accepted', 3,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"fields": json.dumps(legacy)})
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        fields_text, gaps_text = connection.execute(text("SELECT fields, gaps FROM label")).one()
    fields, gaps = json.loads(fields_text), json.loads(gaps_text)
    assert {path: entry["state"] for path, entry in fields.items()} == {
        "invoice_number": "value", "total": "value",
        "seller_vat_id": "unknown",  # empty in the ERP: nobody knows whether the invoice prints it
        "discount": "unknown",       # the teacher suggests; it does not decide absence
        "due_date": "absent"}        # a person decided
    assert "seller_vat_id" in gaps and "discount" in gaps and "due_date" not in gaps and "line_items" in gaps
    assert fields["seller_vat_id"]["agent"] == "mapping:invoice-sap"  # provenance kept
    engine.dispose()
