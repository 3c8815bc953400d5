"""A schema changes: a new version, and the labels follow (added fields unknown, removed dropped)."""

from __future__ import annotations

import copy
import json

import pytest

from curator.schemas.registry import SchemaError, add_schema, list_schemas, schema_for
from curator.store.models import Document, Label
from curator.workspace import init_workspace
from test_purchase_orders import SCHEMA


@pytest.fixture
def ws(tmp_path):
    workspace = init_workspace(tmp_path / "ws")
    yield workspace
    workspace.close()


def _label(ws, fields: dict) -> int:
    with ws.session() as session:
        session.add(Document(sha256="ab" * 32, file_name="PO-1.pdf", source_uri="test://1", mime="application/pdf",
                             size_bytes=1, page_count=1, document_class="purchase_order", original_blob="",
                             renderer="test", dpi=100))
        label = Label(document_sha256="ab" * 32, schema_name="purchase_order", schema_version="1",
                      fields=json.dumps(fields))
        session.add(label)
        session.commit()
        return label.id


def test_a_changed_schema_is_a_new_version_and_the_labels_follow(ws, tmp_path):
    path = tmp_path / "purchase_order.schema.json"
    path.write_text(json.dumps(SCHEMA))
    first = add_schema(ws, path, actor="admin")
    assert (first.name, first.version, first.created) == ("purchase_order", 1, True)
    assert add_schema(ws, path, actor="admin").created is False  # the same document: nothing new
    label_id = _label(ws, {"po_number": {"state": "value", "value": "4500012000", "source": "erp"},
                           "currency": {"state": "value", "value": "EUR", "source": "erp"}})
    changed = copy.deepcopy(SCHEMA)
    del changed["properties"]["currency"]
    changed["required"].remove("currency")
    changed["properties"]["delivery_date"] = {"type": ["string", "null"], "format": "date"}
    path.write_text(json.dumps(changed))
    second = add_schema(ws, path, actor="admin")
    assert second.version == 2 and second.added == ["delivery_date"] and second.removed == ["currency"]
    assert second.labels_updated == 1
    with ws.session() as session:
        label = session.get(Label, label_id)
    fields, gaps = json.loads(label.fields), json.loads(label.gaps)
    assert "currency" not in fields and fields["po_number"]["value"] == "4500012000"
    assert "delivery_date" in gaps  # unknown on the existing label: a gap for the teacher or a person
    assert label.schema_version == "2"
    assert "delivery_date" in schema_for(ws, "purchase_order")["properties"]
    listed = {row["name"]: row for row in list_schemas(ws)}
    assert listed["purchase_order"]["version"] == 2 and listed["w2"]["origin"] == "built-in example"


@pytest.mark.parametrize("content,reason", [
    ("{not json", "not JSON"),
    ('{"type": "object", "properties": {"a": {"type": "strnig"}}}', "not a valid JSON Schema"),
    ('{"type": "array", "items": {}}', "an object schema with properties"),
])
def test_a_schema_that_cannot_be_used_is_refused_with_the_reason(ws, tmp_path, content, reason):
    path = tmp_path / "bad.schema.json"
    path.write_text(content)
    with pytest.raises(SchemaError, match=reason):
        add_schema(ws, path, actor="admin")
    with pytest.raises(KeyError, match="register it with"):
        schema_for(ws, "bad")


def test_only_authors_register_schemas(ws, tmp_path):
    from curator.access import PermissionDenied
    from curator.review.users import add_user

    add_user(ws, "rita", "reviewer", "correct horse battery", by="admin")
    path = tmp_path / "purchase_order.schema.json"
    path.write_text(json.dumps(SCHEMA))
    with pytest.raises(PermissionDenied, match="register schemas"):
        add_schema(ws, path, actor="rita")
