"""ERP record sources: each is a small class whose ``records()`` yields one row at a time.

Each row is a :class:`Row` (its number in the source and its values); a row the source
cannot read is yielded as a :class:`RowProblem` instead, in stream order, so the ingest stage can quarantine it (file, row, reason) and carry on.

>>> source = open_record_source("csv:erp/RBKP.csv")
>>> for row in source.records():
...     ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from connectors.records.base import DeltaSource, Row, RowProblem
from connectors.records.files import CsvSource, ParquetSource, XlsxSource
from connectors.records.sql import SqlSource


class RecordSource(Protocol):
    """Where ERP rows come from. Sources know nothing of the store; a source that can pull only
    what changed is also a :class:`DeltaSource`."""

    name: str
    location: str
    warnings: list[str]  # things the user should know that are not a bad row (an unsure encoding)

    def records(self) -> Iterator[Row | RowProblem]: ...


KINDS = ("csv", "xlsx", "parquet", "sql", "odata")


def open_record_source(spec: str, *, name: str | None = None, options: dict[str, Any] | None = None) -> RecordSource:
    """``kind:location``: ``csv:path``, ``xlsx:path``, ``parquet:path``, ``sql:URL`` (with
    ``options["query"]``) or ``odata:https://host/service/EntitySet``."""
    kind, sep, location = spec.partition(":")
    if not sep or kind not in KINDS:
        raise ValueError(f"record source must be KIND:LOCATION with KIND one of {', '.join(KINDS)}; got {spec!r}")
    options = dict(options or {})
    if kind == "csv":
        return CsvSource(location, name=name, **options)
    if kind == "xlsx":
        return XlsxSource(location, name=name, **options)
    if kind == "parquet":
        return ParquetSource(location, name=name, **options)
    if kind == "sql":
        if "query" not in options:
            raise ValueError("an sql: source needs a query (--query or query = ... in the config)")
        return SqlSource(location, options.pop("query"), name=name)
    from connectors.records.odata import ODataSource

    return ODataSource(location, name=name, **options)


__all__ = ["CsvSource", "DeltaSource", "ParquetSource", "RecordSource", "Row", "RowProblem", "SqlSource", "XlsxSource",
           "open_record_source"]
