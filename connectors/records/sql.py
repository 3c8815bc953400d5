"""Rows from any database SQLAlchemy reaches (SAP HANA, Oracle, SQL Server, PostgreSQL...),
streamed with a server-side cursor where the driver has one."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from connectors.records.base import RowProblem
from connectors.records.files import _cell


class SqlSource:
    def __init__(self, url: str, query: str, *, name: str | None = None) -> None:
        self.url = url
        self.query = query
        self.location = make_url(url).render_as_string(hide_password=True)
        self.name = name or "sql"

    def records(self) -> Iterator[dict[str, Any] | RowProblem]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                result = connection.execution_options(stream_results=True, yield_per=1000).execute(text(self.query))
                for number, row in enumerate(result.mappings(), start=1):
                    record = {key: (str(v) if isinstance(v, Decimal) else _cell(v)) for key, v in row.items()}
                    record["__row__"] = number
                    yield record
        finally:
            engine.dispose()
