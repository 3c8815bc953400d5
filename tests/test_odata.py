"""The SAP OData connector against a loopback gateway that follows SAP's published formats."""

from __future__ import annotations

import csv
import json
import socket
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from connectors.records.odata import ODataError, ODataSource
from curator.cli import app
from curator.records.pull import ingest_records
from curator.store.models import ErpRecord
from fake_odata import V2_ELSEWHERE, V2_PATH, V2_SERVICE, V4_PATH, FakeOData, entity_from_rbkp

KEY = ["SupplierInvoice", "FiscalYear"]
DAY = date(2020, 1, 2)


@pytest.fixture
def entities(small_corpora):
    with open(small_corpora["invoices"] / "erp" / "RBKP.csv", encoding="cp1252") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    unique = {(r["BELNR"], r["GJAHR"]): r for r in rows}
    return [entity_from_rbkp(row, DAY - timedelta(days=len(unique) - i - 1)) for i, row in enumerate(unique.values())]


def _basic(**kw):
    return {"auth": {"type": "basic", "username": "clerk", "password": "s3cret"}, "backoff_seconds": 0.01, **kw}


@pytest.mark.parametrize("path,version", [(V2_PATH, "2"), (V4_PATH, "4"), (V2_ELSEWHERE + "/A_SupplierInvoice", "2")])
def test_paging_types_and_version_come_from_the_service(entities, path, version):
    with FakeOData(entities, page_size=4) as service:
        source = ODataSource(service.base + path, **_basic())
        rows = [r.data for r in source.records()]
        assert len(rows) == len(entities) and source._version() == version  # from $metadata, not the URL
        assert sum("A_SupplierInvoice?" in r or "$skiptoken" in r for r in service.requests) == -(-len(entities) // 4)
        assert source.natural_key() == KEY  # the entity type's key, from $metadata
    first = rows[0]
    truth = sorted(entities, key=lambda e: (e["FiscalYear"], e["SupplierInvoice"]))[0]
    assert first["DocumentDate"] == truth["DocumentDate"].isoformat()  # /Date()/ (V2) or Edm.Date (V4)
    assert first["InvoiceGrossAmount"] == str(truth["InvoiceGrossAmount"])  # exact, "1190.000"
    assert first["CreationTime"] == "09:12:44"  # Edm.Time PT09H12M44S
    assert "__metadata" not in first and "to_SuplrInvcItemPurOrdRef" not in first
    if version == "4":
        assert first["LastChangeDateTime"].endswith("Z")  # 7 fractional digits read


def test_v4_decimals_are_asked_for_as_strings_and_stored_exactly(workspace, entities):
    entities[0]["InvoiceGrossAmount"] = Decimal("1234567890.120")
    with FakeOData(entities) as service:
        report = ingest_records(workspace, ODataSource(service.base + V4_PATH, **_basic()), key=KEY, actor="admin")
    assert report.added == len(entities)
    with workspace.session() as session:
        raws = [json.loads(r.raw) for r in session.exec(select(ErpRecord))]
    assert {"1234567890.120"} <= {raw["InvoiceGrossAmount"] for raw in raws}


def test_top_skip_paging_and_select(entities):
    with FakeOData(entities, page_size=1000) as service:
        source = ODataSource(service.base + V4_PATH, paging="skip", page_size=3,
                             select=["CompanyCode", "FiscalYear", "SupplierInvoice"], **_basic())
        rows = list(source.records())
        assert all(set(r.data) == {"CompanyCode", "FiscalYear", "SupplierInvoice"} for r in rows)
        assert [r.number for r in rows] == list(range(1, len(entities) + 1))
        assert any("%24skip=3" in r or "$skip=3" in r for r in service.requests)


def test_delta_pulls_on_a_date_only_field(workspace, entities):
    """A_SupplierInvoice has no LastChangeDateTime: CreationDate (a date) with ge on the bookmark's
    day, and the rows already stored are recognised by key and content."""
    with FakeOData(entities, page_size=10) as service:
        url = service.base + V2_PATH
        first = ingest_records(workspace, ODataSource(url, delta_field="CreationDate", **_basic()), key=KEY,
                               actor="admin")
        assert first.added == len(entities)
        service.requests.clear()
        second = ingest_records(workspace, ODataSource(url, delta_field="CreationDate", **_basic()), key=KEY,
                                actor="admin")
        assert (second.added, second.updated) == (0, 0) and not second.problems  # nothing new, nothing stored
        assert any("CreationDate+ge+datetime%272020-01-02T00%3A00%3A00%27" in r for r in service.requests)
        entities.append({**entities[-1], "SupplierInvoice": "5199999999", "CreationDate": DAY})  # later that day
        third = ingest_records(workspace, ODataSource(url, delta_field="CreationDate", **_basic()), key=KEY,
                               actor="admin")
        assert (third.added, third.updated) == (1, 0)


def test_the_service_root_and_a_wrong_entity_set_name_what_exists(entities):
    with FakeOData(entities) as service:
        with pytest.raises(ODataError, match="is a service, not an entity set.*A_SupplierInvoice, A_SupplierInvoiceTax"):
            list(ODataSource(service.base + V2_SERVICE, **_basic()).records())
        with pytest.raises(ODataError, match="no entity set 'A_SupplierInvoices'.*A_SupplierInvoice, A_SupplierInvoiceTax"):
            list(ODataSource(service.base + V2_SERVICE + "/A_SupplierInvoices", **_basic()).records())


@pytest.mark.parametrize("broken,message", [
    ("html", "HTML page \\(a logon page\\?\\)"),
    ("error200", "with an error: Internal error in the gateway hub"),
    ("list", "a bare JSON list"),
    ("truncated", "not valid JSON \\(cut short\\?\\)"),
])
def test_a_broken_page_stops_the_pull_naming_it_and_keeps_what_was_stored(workspace, entities, broken, message):
    with FakeOData(entities, page_size=4) as service:
        service.broken_pages = {1: broken}
        source = ODataSource(service.base + V2_PATH, delta_field="CreationDate", **_basic())
        with pytest.raises(ODataError, match=message) as raised:
            ingest_records(workspace, source, key=KEY, actor="admin")
        assert "skiptoken=4" in str(raised.value)  # the failing page, not the first URL
    with workspace.session() as session:
        stored = session.exec(select(ErpRecord)).all()
    assert len(stored) == 4  # the first page's rows stay
    from curator.store.models import SyncState
    with workspace.session() as session:
        assert session.exec(select(SyncState)).first() is None  # the bookmark did not move


def test_errors_carry_sap_s_own_words(entities):
    with FakeOData(entities, page_size=50) as service:
        service.fail_next = [429, 503, 502]
        assert len(list(ODataSource(service.base + V2_PATH, **_basic()).records())) == len(entities)
        service.fail_next = [503] * 20
        with pytest.raises(ODataError, match=r"HTTP 503.*Service unavailable, try later.*gave up after 3 attempts"):
            list(ODataSource(service.base + V2_PATH, max_attempts=3, **_basic()).records())
        service.fail_next = [500]
        with pytest.raises(ODataError, match="HTTP 500.*SAP says: Service unavailable"):
            list(ODataSource(service.base + V2_PATH, max_attempts=6, **_basic()).records())
        assert service.fail_next == []  # a 500 is not retried: it is SAP refusing, not SAP busy
        wrong = ODataSource(service.base + V2_PATH, auth={"type": "basic", "username": "clerk", "password": "no"})
        with pytest.raises(ODataError, match="refused the credentials \\(HTTP 401\\)"):
            list(wrong.records())
        service.forbidden = True
        with pytest.raises(ODataError, match="HTTP 403.*authorisation.*No authorization to access service"):
            list(ODataSource(service.base + V2_PATH, **_basic()).records())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ODataError, match="cannot reach the OData service at 127.0.0.1"):
        list(ODataSource(f"http://127.0.0.1:{port}{V2_PATH}", max_attempts=2, **_basic()).records())


def test_sap_client_is_configuration_not_a_name(entities):
    with FakeOData(entities, sap_client="100") as service:
        source = ODataSource(service.base + V2_PATH + "?sap-client=100", delta_field="CreationDate", **_basic())
        assert source.name == "a_supplierinvoice" and "sap-client" not in source.bookmark
        assert len(list(source.records())) == len(entities)
        configured = ODataSource(service.base + V2_PATH, sap_client=100, **_basic())
        assert len(list(configured.records())) == len(entities)
        assert all("sap-client=100" in request for request in service.requests)


def test_oauth2_client_credentials(entities):
    with FakeOData(entities) as service:
        auth = {"type": "oauth2", "token_url": service.base + "/oauth/token", "client_id": "curator",
                "client_secret": "shh"}
        assert len(list(ODataSource(service.base + V4_PATH, auth=auth).records())) == len(entities)
        with pytest.raises(ODataError, match="refused the client credentials"):
            list(ODataSource(service.base + V4_PATH, auth={**auth, "client_secret": "wrong"}).records())


def test_cli_ingest_erp_from_odata(workspace, entities, tmp_path):
    runner = CliRunner()
    with FakeOData(entities, sap_client="100") as service:
        config = tmp_path / "odata.toml"
        config.write_text('name = "supplier_invoices"\nsap_client = "100"\ndelta_field = "CreationDate"\n'
                          '[auth]\ntype = "basic"\nusername = "clerk"\npassword = "s3cret"\n')
        result = runner.invoke(app, ["-w", str(workspace.root), "ingest", "erp", "--source",
                                     f"odata:{service.base}{V2_PATH}", "--config", str(config), "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["added"] == len(entities) and report["source"] == "supplier_invoices"
        with workspace.session() as session:  # keyed by the entity type's key, from $metadata
            assert all(r.record_key.count("/") == 1 for r in session.exec(select(ErpRecord)))
        again = runner.invoke(app, ["-w", str(workspace.root), "ingest", "erp", "--source",
                                    f"odata:{service.base}{V2_PATH}", "--config", str(config), "--json"])
        assert again.exit_code == 0 and json.loads(again.stdout)["added"] == 0
        root = runner.invoke(app, ["-w", str(workspace.root), "ingest", "erp", "--source",
                                   f"odata:{service.base}{V2_SERVICE}", "--config", str(config)])
        assert root.exit_code == 2 and "A_SupplierInvoice" in root.output and "Traceback" not in root.output
        config.write_text(config.read_text().replace("s3cret", "wrong"))
        result = runner.invoke(app, ["-w", str(workspace.root), "ingest", "erp", "--source",
                                     f"odata:{service.base}{V2_PATH}", "--config", str(config)])
        assert result.exit_code == 2
        assert "refused the credentials" in result.output and "wrong" not in result.output


@pytest.mark.parametrize("path", [V2_PATH, V4_PATH])
def test_invoice_items_come_from_sap_through_expand(entities, path):
    from curator.mapping.rules import apply_mapping, parse_mapping

    entities[0]["_items"] = [{"SupplierInvoiceItem": "1", "SupplierInvoiceItemAmount": "100.000",
                              "QuantityInPurchaseOrderUnit": "2.000", "PurchaseOrderItemText": "Bolts"}]
    with FakeOData(entities) as service:
        source = ODataSource(service.base + path, expand=["to_SuplrInvcItemPurOrdRef"], **_basic())
        rows = {r.data["SupplierInvoice"]: r.data for r in source.records()}
    row = rows[entities[0]["SupplierInvoice"]]
    assert row["to_SuplrInvcItemPurOrdRef"][0]["SupplierInvoiceItemAmount"] == "100.000"
    assert "__metadata" not in row["to_SuplrInvcItemPurOrdRef"][0]
    mapping = parse_mapping({"schema": "invoice", "record_source": "a_supplierinvoice",
                             "sources": {"a_supplierinvoice": {"key": KEY}},
                             "fields": {"line_items[].amount": {
                                 "column": "to_SuplrInvcItemPurOrdRef[].SupplierInvoiceItemAmount",
                                 "transform": "decimal"}}})
    assert apply_mapping(mapping, row, {}).values == {"line_items[0].amount": 100.0}


@pytest.mark.parametrize("broken", ["html", "error200"])
def test_the_cli_stops_on_a_broken_page_with_its_url_and_no_traceback(workspace, entities, tmp_path, broken):
    with FakeOData(entities, page_size=4) as service:
        service.broken_pages = {1: broken}
        config = tmp_path / "odata.toml"
        config.write_text('[auth]\ntype = "basic"\nusername = "clerk"\npassword = "s3cret"\n')
        result = CliRunner().invoke(app, ["-w", str(workspace.root), "ingest", "erp", "--source",
                                          f"odata:{service.base}{V2_PATH}", "--config", str(config)])
    assert result.exit_code == 2 and "skiptoken=4" in result.output and "Traceback" not in result.output
