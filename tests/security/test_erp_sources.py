"""ERP sources are only read, and bad ERP files fail on one line (issue #13, items 2 and 5)."""

from __future__ import annotations

import sqlite3
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from connectors.records import Row, open_record_source
from connectors.records.files import SourceFileError
from connectors.records.sql import ReadOnlyRefused, SqlSource
from curator.cli import app
from curator.records.pull import ingest_records
from curator.workspace import init_workspace
from helpers import SSN


@pytest.fixture
def ws(tmp_path):
    workspace = init_workspace(tmp_path / "ws")
    yield workspace
    workspace.close()


@pytest.fixture
def erp_db(tmp_path):
    path = tmp_path / "erp.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)")
        db.executemany("INSERT INTO audit VALUES (?, ?)", [(1, "a"), (2, "b")])
    return path


def _rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM audit").fetchone()[0]


@pytest.mark.parametrize("query", ["DROP TABLE audit", "DELETE FROM audit", "UPDATE audit SET what = 'x'",
                                   "SELECT 1; DROP TABLE audit",
                                   "WITH gone AS (DELETE FROM audit RETURNING *) SELECT * FROM gone",
                                   "SELECT * INTO copy FROM audit"])
def test_statements_that_write_are_refused_before_sending(ws, erp_db, query):
    result = CliRunner().invoke(app, ["-w", str(ws.root), "ingest", "erp", "--source", f"sql:sqlite:///{erp_db}",
                                      "--query", query, "--key", "id"])
    assert result.exit_code == 2 and "SELECT" in result.output and "Traceback" not in result.output
    assert _rows(erp_db) == 2


def test_the_connection_itself_is_read_only(erp_db):
    """Even a statement the check did not catch cannot write: SQLite opens the file mode=ro."""
    source = SqlSource(f"sqlite:///{erp_db}", "SELECT * FROM audit")
    assert [row.data["what"] for row in source.records()] == ["a", "b"]
    source.query = "DROP TABLE audit"  # as if the check had been fooled
    with pytest.raises(ValueError, match="readonly"):
        list(source.records())
    assert _rows(erp_db) == 2
    with pytest.raises(ReadOnlyRefused):
        SqlSource(f"sqlite:///{erp_db}", "PRAGMA writable_schema = 1")


def test_a_postgresql_erp_is_read_in_a_read_only_transaction(postgres_url):
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE audit (id int, what text)"))
        connection.execute(text("INSERT INTO audit VALUES (1, 'a')"))
        connection.execute(text("CREATE SEQUENCE counter"))
    source = SqlSource(postgres_url, "SELECT * FROM audit")
    assert len(list(source.records())) == 1
    # A SELECT that writes passes the statement check; the read-only transaction refuses it.
    writes = SqlSource(postgres_url, "SELECT setval('counter', 42)")
    with pytest.raises(ValueError, match="read-only transaction"):
        list(writes.records())
    source.query = "DELETE FROM audit"  # as if the check had been fooled
    with pytest.raises(ValueError):
        list(source.records())
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit")).scalar() == 1
        assert connection.execute(text("SELECT last_value FROM counter")).scalar() == 1
    engine.dispose()


def test_an_xlsx_zip_bomb_is_refused_from_its_directory(tmp_path):
    bomb = tmp_path / "LFA1.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            chunk = b" " * (1 << 20)
            for _ in range(40):  # 40 MB of blanks, a few dozen KB on disk
                part.write(chunk)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(SourceFileError, match="inflates .*-fold.*zip bomb"):
        list(open_record_source(f"xlsx:{bomb}").records())


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_a_broken_xlsx_is_one_line(ws, tmp_path, content):
    path = tmp_path / "LFA1.xlsx"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["-w", str(ws.root), "ingest", "erp", "--source", f"xlsx:{path}",
                                      "--key", "LIFNR"])
    assert result.exit_code == 2 and "LFA1.xlsx" in result.output and "Traceback" not in result.output


def test_a_latin1_csv_with_a_stray_byte_keeps_its_umlauts(ws, tmp_path):
    path = tmp_path / "LFA1.csv"
    lines = ["LIFNR;NAME1", "100;Müßig GmbH", "101;stray \x81 byte", "102;Bäckerei Groß"]
    path.write_bytes("\n".join(lines).encode("latin-1"))
    source = open_record_source(f"csv:{path}")
    report = ingest_records(ws, source, actor="admin", key=["LIFNR"])
    assert report.added == 2 and report.quarantined == 1 and report.problems[0].row == 3  # the rest goes on
    assert report.warnings and "not sure of the encoding" in report.warnings[0]
    names = [row.data["NAME1"] for row in open_record_source(f"csv:{path}").records() if isinstance(row, Row)]
    assert names == ["Müßig GmbH", "Bäckerei Groß"]
    declared = open_record_source(f"csv:{path}", options={"encoding": "latin-1"})
    assert len([r for r in declared.records() if isinstance(r, Row)]) == 3 and not declared.warnings


def test_parquet_columns_of_the_wrong_type_are_refused_with_the_column(ws, tmp_path):
    path = tmp_path / "rbkp.parquet"
    pq.write_table(pa.table({"BUKRS": ["1000"], "GJAHR": ["2019"], "BELNR": ["5105600001"],
                             "BLDAT": pa.array([[2019, 3, 15]]), "RMWWR": pa.array([b"\x00\x01"]),
                             "XBLNR": ["INV-1"]}), path)
    result = CliRunner().invoke(app, ["-w", str(ws.root), "ingest", "erp", "--source", f"parquet:{path}",
                                      "--mapping", "invoice-sap"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "column BLDAT is list<element: int64>" in result.output and "column RMWWR is binary" in result.output


def test_erp_quarantine_entries_mask_ssns(ws, tmp_path):
    path = tmp_path / "payroll.csv"
    path.write_text(f"EMPLOYEE_ID;TAX_YEAR;SSN;NAME\n7;2019;{SSN};Ann\n7;2019;{SSN};Ann Changed\n", encoding="utf-8")
    report = ingest_records(ws, open_record_source(f"csv:{path}"), actor="admin", key=["EMPLOYEE_ID", "TAX_YEAR"])
    assert report.quarantined == 1
    listed = CliRunner().invoke(app, ["-w", str(ws.root), "docs", "quarantine", "--json"])
    assert SSN not in listed.stdout and "5678" in listed.stdout
    from curator.store.models import QuarantineEntry
    from sqlmodel import select

    with ws.session() as session:
        assert all(SSN not in e.detail for e in session.exec(select(QuarantineEntry)))
