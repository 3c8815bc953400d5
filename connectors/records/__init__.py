"""ERP record sources: each is a small class whose ``records()`` yields one row at a time.

Each row is a :class:`Row` (its number in the source and its values); a row the source
cannot read is yielded as a :class:`RowProblem` instead, in stream order, so the ingest stage can quarantine it (file, row, reason) and carry on.

>>> source = open_record_source("csv:erp/RBKP.csv")
>>> for row in source.records():
...     ...
"""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

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


@runtime_checkable
class KeyedSource(Protocol):
    """A source that knows its rows' natural key (an OData entity type's key, from $metadata)."""

    def natural_key(self) -> list[str] | None: ...


KINDS = ("csv", "xlsx", "parquet", "sql", "odata")


_KIND_CLASSES = {"csv": CsvSource, "xlsx": XlsxSource, "parquet": ParquetSource, "sql": SqlSource}


def load_source_config(path: Path | None) -> dict[str, Any]:
    """A source's options from a TOML file (``query``, ``auth``, ``delimiter``, ``encoding``,
    ``sap_client``...); a file that cannot be read is a ValueError naming it."""
    if path is None:
        return {}
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def open_record_source(spec: str, config: dict[str, Any] | None = None, *, name: str | None = None,
                       options: dict[str, Any] | None = None) -> RecordSource:
    """The source a spec names: ``csv:path``, ``xlsx:path``, ``parquet:path``, ``sql:URL`` (with
    a ``query``) or ``odata:https://host/service/EntitySet``, with its options from ``config``
    (as :func:`load_source_config` reads them) and ``options``. The stage's own keys in a
    config (``key``, ``name``) are not the source's business and are left out; an option the
    source does not know is a ValueError that names it.

    >>> open_record_source("csv:erp/RBKP.csv", {"encoding": "cp1252"}).name
    'rbkp'
    """
    kind, sep, location = spec.partition(":")
    if not sep or kind not in KINDS:
        raise ValueError(f"record source must be KIND:LOCATION with KIND one of {', '.join(KINDS)}; got {spec!r}")
    merged = {k: v for k, v in {**(config or {}), **(options or {})}.items() if k not in ("key", "name")}
    if kind == "sql":
        if "query" not in merged:
            raise ValueError("an sql: source needs a query (--query or query = ... in the config)")
        query = merged.pop("query")
        return _construct(SqlSource, kind, location, name, merged, query)
    if kind == "odata":
        from connectors.records.odata import ODataSource

        return _construct(ODataSource, kind, location, name, merged)
    return _construct(_KIND_CLASSES[kind], kind, location, name, merged)


def _construct(cls: type, kind: str, location: str, name: str | None, options: dict[str, Any], *args: Any):
    accepted = {p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "name")}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for a {kind} source; it takes: "
                         f"{', '.join(sorted(accepted - {'url', 'path', 'query'}))}")
    return cls(location, *args, name=name, **options)


__all__ = ["CsvSource", "DeltaSource", "KeyedSource", "ParquetSource", "RecordSource", "Row", "RowProblem", "SqlSource", "XlsxSource",
           "load_source_config", "open_record_source"]
