"""The SAP OData connector against a local fake service: shapes, paging, auth, retries, delta."""

from __future__ import annotations

import csv
import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from connectors.records.odata import ODataError, ODataSource
from curator.cli import app
from curator.records.pull import ingest_records
from fake_odata import V2_PATH, V4_PATH, FakeOData, entity_from_rbkp

KEY = ["CompanyCode", "FiscalYear", "SupplierInvoice"]
T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def entities(small_corpora):
    with open(small_corpora["invoices"] / "erp" / "RBKP.csv", encoding="cp1252") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    unique = {(r["BUKRS"], r["GJAHR"], r["BELNR"]): r for r in rows}
    return [entity_from_rbkp(row, T0 + timedelta(hours=i)) for i, row in enumerate(unique.values())]


def _basic(**kw):
    return {"auth": {"type": "basic", "username": "clerk", "password": "s3cret"}, "backoff_seconds": 0.01, **kw}


@pytest.mark.parametrize("path,version", [(V2_PATH, "2"), (V4_PATH, "4")])
def test_server_driven_paging_in_both_shapes(entities, path, version):
    with FakeOData(entities, page_size=4) as service:
        source = ODataSource(service.base + path, **_basic())
        rows = [r.data for r in source.records()]
        assert len(rows) == len(entities)
        assert len(service.requests) == -(-len(entities) // 4)  # one request per page
    first = rows[0]
    assert first["DocumentDate"] == entities[0]["DocumentDate"].isoformat()  # /Date()/ (V2) or Edm.Date (V4)
    assert first["InvoiceGrossAmount"] == entities[0]["InvoiceGrossAmount"]  # decimals stay exact strings
    assert "__metadata" not in first and "to_SupplierInvoiceItem" not in first
    assert source._version() == version


def test_top_skip_paging_select_and_filter(entities):
    with FakeOData(entities, page_size=1000) as service:
        source = ODataSource(service.base + V4_PATH, paging="skip", page_size=3,
                             select=["CompanyCode", "FiscalYear", "SupplierInvoice"],
                             filter="CompanyCode eq '1000'", **_basic())
        rows = list(source.records())
        assert all(set(r.data) == {"CompanyCode", "FiscalYear", "SupplierInvoice"} for r in rows)
        assert [r.number for r in rows] == list(range(1, len(entities) + 1))
        assert len(rows) == len(entities)
        assert any("%24skip=3" in r or "$skip=3" in r for r in service.requests)
        assert all("filter" in r for r in service.requests)


def test_retries_on_throttling_and_server_errors(entities):
    with FakeOData(entities, page_size=50) as service:
        service.fail_next = [429, 503, 502]
        rows = list(ODataSource(service.base + V2_PATH, **_basic()).records())
        assert len(rows) == len(entities)
        service.fail_next = [503] * 20
        with pytest.raises(ODataError, match=r"HTTP 503 from 127.0.0.1:\d+ \(gave up after 3 attempts\)"):
            list(ODataSource(service.base + V2_PATH, max_attempts=3, **_basic()).records())


def test_wrong_password_and_unreachable_service_are_one_clear_message(entities):
    with FakeOData(entities) as service:
        source = ODataSource(service.base + V2_PATH, auth={"type": "basic", "username": "clerk", "password": "no"})
        with pytest.raises(ODataError, match="refused the credentials \\(HTTP 401\\)"):
            list(source.records())
        with pytest.raises(ODataError, match="no such OData entity set"):
            list(ODataSource(service.base + "/sap/opu/odata/sap/X/Nope", **_basic()).records())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ODataError, match="cannot reach the OData service at 127.0.0.1"):
        list(ODataSource(f"http://127.0.0.1:{port}{V2_PATH}", max_attempts=2, **_basic()).records())


def test_oauth2_client_credentials(entities):
    with FakeOData(entities) as service:
        auth = {"type": "oauth2", "token_url": service.base + "/oauth/token", "client_id": "curator",
                "client_secret": "shh"}
        rows = list(ODataSource(service.base + V4_PATH, auth=auth).records())
        assert len(rows) == len(entities) and service.tokens
        bad = {**auth, "client_secret": "wrong"}
        with pytest.raises(ODataError, match="refused the client credentials"):
            list(ODataSource(service.base + V4_PATH, auth=bad).records())


def test_delta_pull_fetches_only_changes(workspace, entities):
    with FakeOData(entities, page_size=10) as service:
        url = service.base + V4_PATH
        first = ingest_records(workspace, ODataSource(url, delta_field="LastChangeDateTime", **_basic()), key=KEY, actor="admin")
        assert first.added == len(entities)
        entities[0]["InvoiceGrossAmount"] = "1.00"
        entities[0]["LastChangeDateTime"] = T0 + timedelta(days=30)
        entities.append({**entities[1], "SupplierInvoice": "5199999999", "LastChangeDateTime": T0 + timedelta(days=31)})
        service.requests.clear()
        second = ingest_records(workspace, ODataSource(url, delta_field="LastChangeDateTime", **_basic()), key=KEY, actor="admin")
        assert (second.rows_read, second.updated, second.added) == (2, 1, 1)
        assert all("LastChangeDateTime" in r for r in service.requests)


def test_cli_ingest_erp_from_odata(workspace, entities, tmp_path):
    runner = CliRunner()
    with FakeOData(entities) as service:
        config = tmp_path / "odata.toml"
        config.write_text(
            'name = "supplier_invoices"\nkey = ["CompanyCode", "FiscalYear", "SupplierInvoice"]\n'
            '[auth]\ntype = "basic"\nusername = "clerk"\npassword = "s3cret"\n')
        result = runner.invoke(app, ["-w", str(workspace.root), "ingest", "erp", "--source",
                                     f"odata:{service.base}{V2_PATH}", "--config", str(config), "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["added"] == len(entities) and report["source"] == "supplier_invoices"
        config.write_text(config.read_text().replace("s3cret", "wrong"))
        result = runner.invoke(app, ["-w", str(workspace.root), "ingest", "erp", "--source",
                                     f"odata:{service.base}{V2_PATH}", "--config", str(config)])
        assert result.exit_code == 2
        assert "refused the credentials" in result.output and "wrong" not in result.output
