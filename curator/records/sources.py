"""Which source a pull reads, under which name, and by which natural key.

The name matters: records are stored under it, and the mapping finds them by it. A file
called ``AP export 2014-2023.csv`` pulled with ``--mapping ap-invoices.toml`` holds the
mapping's records, whatever its file name says; so with a mapping, a source whose file name
is none of the mapping's sources takes the mapping's main record source's name and key.

>>> source, key = open_for_pull("csv:erp/AP export 2014-2023.csv", mapping=load_mapping("ap.toml"))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.records import KeyedSource, RecordSource, load_source_config, open_record_source
from curator.mapping.rules import Mapping


def open_for_pull(spec: str, *, config: Path | None = None, name: str | None = None, key: list[str] | None = None,
                  query: str | None = None, mapping: Mapping | None = None) -> tuple[RecordSource, list[str]]:
    """The source and its natural key, from the flags (``name``, ``key``, ``query``), the
    source's config file and the mapping; ValueError saying what is missing."""
    options: dict[str, Any] = load_source_config(config)
    if query:
        options["query"] = query
    name = name or options.get("name")
    key = key or options.get("key")
    kind, _, location = spec.partition(":")
    if mapping is not None and name is None and kind in ("csv", "xlsx", "parquet") \
            and Path(location).stem.lower() not in mapping.source_keys:
        name = mapping.record_source
    extra: dict[str, Any] = {}
    if mapping is not None and kind == "parquet":
        extra["expect"] = mapping.column_expectations(name or Path(location).stem.lower())
    source = open_record_source(spec, options, name=name, options=extra)
    if not key and mapping is not None:
        key = mapping.source_keys.get(source.name)
    if not key and isinstance(source, KeyedSource):
        key = source.natural_key()  # e.g. SupplierInvoice + FiscalYear from the service's $metadata
    if not key:
        raise ValueError(f"no natural key for record source {source.name!r}: give --key COL[,COL]"
                         + ("" if mapping is None else f" (the mapping {mapping.name} has keys for: "
                                                       f"{', '.join(mapping.source_keys)})") + " or --mapping")
    return source, list(key)
