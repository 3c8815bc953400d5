"""ERP record sources and the ingest erp stage: formats, natural keys, re-pulls, bad rows."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import func, select

from connectors.records import CsvSource, ParquetSource, SqlSource, XlsxSource, open_record_source
from connectors.records.base import Row
from curator.catalog import quarantined
from curator.records.pull import ingest_records
from curator.store.models import ErpRecord

RBKP_KEY = ["BUKRS", "GJAHR", "BELNR"]


def _rows(source):
    rows = [r for r in source.records() if isinstance(r, Row)]
    assert all(isinstance(r.number, int) for r in rows)  # every row knows its place in the source
    return [r.data for r in rows]


def test_csv_encodings_and_delimiters(tmp_path):
    header = ["LIFNR", "NAME1", "RMWWR"]
    row = ["0000100001", "Müller Straßenbau GmbH", "1.234,56"]
    variants = {"cp1252-semicolon.csv": ("cp1252", ";"), "utf8-bom.csv": ("utf-8-sig", ","),
                "tabs.tsv": ("utf-8", "\t"), "utf16.csv": ("utf-16", ";"), "pipes.csv": ("utf-8", "|")}
    for name, (encoding, delimiter) in variants.items():
        with open(tmp_path / name, "w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(header)
            writer.writerow(row)
        rows = _rows(CsvSource(tmp_path / name))
        assert [(r["LIFNR"], r["NAME1"], r["RMWWR"]) for r in rows] == [tuple(row)], name


def test_bad_rows_are_quarantined_with_row_numbers(workspace, tmp_path):
    path = tmp_path / "RBKP.csv"
    path.write_text(
        "BUKRS;GJAHR;BELNR;RMWWR\n"
        "1000;2019;5100000001;100,00\n"
        "1000;2019;5100000002;200,00;EXTRA\n"          # too many fields
        "1000;2019;5100000001;100,00\n"                 # identical duplicate
        "1000;2019;5100000001;999,99\n"                 # same key, other values
        "1000;2019;;50,00\n"                            # empty key column
        "1000;2019;5100000003;300,00-\n",
        encoding="cp1252",
    )
    report = ingest_records(workspace, CsvSource(path), key=RBKP_KEY, actor="admin")
    assert (report.added, report.duplicates, report.quarantined) == (2, 1, 3)
    reasons = {(p.row, p.reason) for p in report.problems}
    assert reasons == {(3, "unreadable_row"), (5, "duplicate_key_conflict"), (6, "missing_key")}
    entries = quarantined(workspace, "erp")
    assert {e.file_name for e in entries} == {"RBKP.csv row 3", "RBKP.csv row 5", "RBKP.csv row 6"}
    assert "5 fields where the header has 4" in next(e.detail for e in entries if e.file_name.endswith("row 3"))


def test_missing_key_column_is_a_clear_error(workspace, tmp_path):
    (tmp_path / "x.csv").write_text("A,B\n1,2\n")
    with pytest.raises(ValueError, match="key column\\(s\\) BELNR not in the export"):
        ingest_records(workspace, CsvSource(tmp_path / "x.csv"), key=["BELNR"], actor="admin")


def test_pulling_again_updates_and_adds_never_duplicates(workspace, small_corpora, tmp_path):
    source_path = small_corpora["invoices"] / "erp" / "RBKP.csv"
    first = ingest_records(workspace, CsvSource(source_path, name="rbkp"), key=RBKP_KEY, actor="admin")
    assert first.added > 0 and first.ok
    lines = source_path.read_text(encoding="cp1252").splitlines()
    header, rows = lines[0], lines[1:]
    changed = rows[0].split(";")
    changed[8] = "1,00"  # RMWWR
    new = rows[1].split(";")
    new[2] = "5199999999"
    edited = tmp_path / "RBKP.csv"
    edited.write_text("\n".join([header, ";".join(changed), *rows[1:], ";".join(new)]) + "\n", encoding="cp1252")
    second = ingest_records(workspace, CsvSource(edited, name="rbkp"), key=RBKP_KEY, actor="admin")
    assert (second.updated, second.added) == (1, 1)
    assert second.unchanged == first.added - 1
    with workspace.session() as session:
        count = session.exec(select(func.count()).select_from(ErpRecord)).one()
        record = session.exec(select(ErpRecord).where(ErpRecord.record_key == "/".join(
            [changed[0], changed[2], changed[1]]))).first()
    assert count == first.added + 1
    assert json.loads(record.raw)["RMWWR"] == "1,00"


def test_xlsx_and_parquet_give_the_same_records(small_corpora, tmp_path):
    csv_rows = _rows(CsvSource(small_corpora["invoices"] / "erp" / "RBKP.csv"))
    xlsx_rows = _rows(XlsxSource(small_corpora["invoices"] / "erp" / "RBKP.xlsx"))
    assert [r["BELNR"] for r in csv_rows] == [r["BELNR"] for r in xlsx_rows]
    table = pa.Table.from_pylist(csv_rows)
    pq.write_table(table, tmp_path / "rbkp.parquet")
    parquet_rows = _rows(ParquetSource(tmp_path / "rbkp.parquet"))
    assert [r["XBLNR"] for r in parquet_rows] == [r["XBLNR"] for r in csv_rows]
    assert open_record_source(f"parquet:{tmp_path / 'rbkp.parquet'}").name == "rbkp"


def test_sql_source(workspace, small_corpora, tmp_path, store_url):
    url = store_url or f"sqlite:///{tmp_path / 'erp.db'}"
    rows = _rows(CsvSource(small_corpora["w2"] / "erp" / "payroll_w2.csv"))
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE payroll (employee_id VARCHAR(10), tax_year INTEGER, wages NUMERIC(12,2))"))
        for row in rows:
            connection.execute(text("INSERT INTO payroll VALUES (:e, :y, :w)"),
                               {"e": row["EMPLOYEE_ID"], "y": int(row["TAX_YEAR"]), "w": row["GROSS_TAXABLE_WAGES"]})
    engine.dispose()
    source = SqlSource(url, "SELECT employee_id, tax_year, wages FROM payroll ORDER BY employee_id, tax_year",
                       name="payroll_sql")
    report = ingest_records(workspace, source, key=["employee_id", "tax_year"], actor="admin")
    assert report.added == len({(r["EMPLOYEE_ID"], r["TAX_YEAR"]) for r in rows})
    with pytest.raises(ValueError, match="needs a query"):
        open_record_source(f"sql:{url}")


def test_a_mapping_names_the_source_and_its_key_whatever_the_file_is_called(workspace, small_corpora, tmp_path):
    """`--source "csv:erp/AP export 2014-2023.csv" --mapping ...`: the records are the mapping's
    (stored as its record source, keyed by its key), not a source named after the file."""
    from typer.testing import CliRunner

    from curator.cli import app

    renamed = tmp_path / "AP export 2014-2023.csv"
    renamed.write_bytes((small_corpora["invoices"] / "erp" / "RBKP.csv").read_bytes())
    result = CliRunner().invoke(app, ["-w", str(workspace.root), "ingest", "erp", "--source", f"csv:{renamed}",
                                      "--mapping", "invoice-sap", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["source"] == "rbkp"
    with workspace.session() as session:
        keys = session.exec(select(ErpRecord.record_key).where(ErpRecord.source == "rbkp")).all()
    assert keys and all(key.count("/") == 2 for key in keys)  # BUKRS/GJAHR/BELNR, from the mapping
    unknown = CliRunner().invoke(app, ["-w", str(workspace.root), "ingest", "erp", "--source", f"csv:{renamed}",
                                       "--config", str(_config(tmp_path, "sap_client = '100'")), "--key", "BELNR"])
    assert unknown.exit_code == 2 and "unknown option(s) sap_client for a csv source" in unknown.output


def _config(tmp_path, text: str):
    path = tmp_path / "source.toml"
    path.write_text(text)
    return path
