"""Rows from any database SQLAlchemy reaches (SAP HANA, Oracle, SQL Server, PostgreSQL...),
streamed with a server-side cursor where the driver has one.

Curator only ever reads an ERP. The query must be one read-only statement (``SELECT`` or
``WITH ... SELECT``), checked before anything is sent; and it runs on a read-only connection
in a read-only transaction wherever the driver offers one (SQLite ``mode=ro`` and
``query_only``, PostgreSQL ``default_transaction_read_only``, MySQL ``READ ONLY``
transactions), which is then rolled back. So even a statement the check did not recognise
cannot change the ERP.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlparse
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ResourceClosedError, SQLAlchemyError

from connectors.records.base import Row, RowProblem
from connectors.records.files import _cell

_WRITES = {"INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "DROP", "CREATE", "ALTER", "TRUNCATE",
           "GRANT", "REVOKE", "COPY", "CALL", "EXEC", "EXECUTE", "VACUUM", "ATTACH", "DETACH", "PRAGMA", "LOCK",
           "COMMENT", "RENAME", "SET", "INTO", "REINDEX", "CLUSTER", "REFRESH", "IMPORT", "LOAD", "DO"}


class ReadOnlyRefused(ValueError):
    """The query is not one read-only statement."""


def check_read_only(query: str) -> str:
    """``query`` if it is a single SELECT (or WITH ... SELECT) without writing keywords."""
    statements = [s for s in sqlparse.parse(query) if s.token_first(skip_cm=True, skip_ws=True) is not None]
    if len(statements) != 1:
        raise ReadOnlyRefused(f"give one SELECT statement, not {len(statements)} statements "
                              "(Curator only reads from an ERP)")
    statement = statements[0]
    kind = statement.get_type()
    keywords = {token.normalized.upper() for token in statement.flatten()
                if token.ttype is not None and token.ttype in sqlparse.tokens.Keyword}
    writes = sorted(keywords & _WRITES - {"SET"} | ({"SET"} if kind != "SELECT" and "SET" in keywords else set()))
    if kind != "SELECT" or writes:
        what = ", ".join(writes) if writes else kind if kind != "UNKNOWN" else \
            str(statement.token_first(skip_cm=True, skip_ws=True)).upper()
        raise ReadOnlyRefused(f"only SELECT queries are run against an ERP (this one is {what}); "
                              "nothing was sent")
    return query


def read_only_url(url: str | URL) -> URL:
    """The same database, opened read-only where the URL can say so (SQLite files)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:" \
            and not parsed.database.startswith("file:"):
        path = Path(parsed.database).resolve()
        parsed = parsed.set(database=f"file:{path.as_posix()}?mode=ro", query={**parsed.query, "uri": "true"})
    return parsed


def _read_only_engine(url: str):
    parsed = read_only_url(url)
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args["options"] = "-c default_transaction_read_only=on"
    engine = create_engine(parsed, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _read_only_session(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        try:
            if backend == "sqlite":
                cursor.execute("PRAGMA query_only = ON")
            elif backend in ("mysql", "mariadb"):
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
        finally:
            cursor.close()

    return engine


class SqlSource:
    def __init__(self, url: str, query: str, *, name: str | None = None) -> None:
        self.url = url
        self.query = check_read_only(query)
        self.location = make_url(url).render_as_string(hide_password=True)
        self.name = name or "sql"
        self.warnings: list[str] = []

    def records(self) -> Iterator[Row | RowProblem]:
        engine = _read_only_engine(self.url)
        try:
            with engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                try:
                    result = connection.execution_options(stream_results=True, yield_per=1000).execute(
                        text(self.query))
                    rows = result.mappings()
                except ResourceClosedError:
                    raise ValueError(f"{self.location}: the query returned no rows to read") from None
                except SQLAlchemyError as exc:
                    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
                    raise ValueError(f"{self.location}: the query failed: {reason}") from None
                for number, row in enumerate(rows, start=1):
                    yield Row(number, {key: (str(v) if isinstance(v, Decimal) else _cell(v)) for key, v in row.items()})
                connection.rollback()  # nothing was written; nothing is kept
        finally:
            engine.dispose()
