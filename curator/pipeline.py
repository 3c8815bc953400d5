"""``curator bootstrap``: pull the records a mapping needs, OCR scans, match, map.

One call, one report. Every step is idempotent, so running it again after new exports
or new documents arrive only does the missing work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.records import open_record_source
from curator.mapping.stage import map_documents
from curator.mapping.rules import Mapping
from curator.matching.stage import match_records
from curator.ingest.ocr import ocr_pending_pages
from curator.records.pull import ingest_records
from curator.matching.decisions import unmatched
from curator.progress import ProgressHook, SilentProgress
from curator.workspace import Workspace
from curator.access import Actor, require

EXTENSIONS = ("csv", "tsv", "xlsx", "parquet")


@dataclass
class BootstrapReport:
    mapping: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    ocr: dict[str, Any] = field(default_factory=dict)
    match: dict[str, Any] = field(default_factory=dict)
    map: dict[str, Any] = field(default_factory=dict)
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def problems(self) -> int:
        return sum(len(r["problems"]) for r in self.records.values()) + len(self.map.get("problems", []))

    def to_dict(self) -> dict[str, Any]:
        return {"mapping": self.mapping, "records": self.records, "ocr": self.ocr, "match": self.match,
                "map": self.map, "unmatched": self.unmatched, "problems": self.problems,
                "seconds": round(self.seconds, 2)}


def find_export(directory: Path, source_name: str) -> str:
    """``kind:path`` of the export file for a source (``rbkp`` -> ``RBKP.csv``) in a folder."""
    for extension in EXTENSIONS:
        for path in sorted(Path(directory).iterdir()):
            if path.stem.lower() == source_name.lower() and path.suffix.lower() == f".{extension}":
                kind = "csv" if extension == "tsv" else extension
                return f"{kind}:{path}"
    raise FileNotFoundError(f"no export for record source {source_name!r} in {directory} "
                            f"(looked for {source_name}.{{{','.join(EXTENSIONS)}}})")


def bootstrap(
    workspace: Workspace,
    mapping: Mapping,
    *,
    actor: Actor | str,
    erp_dir: Path | None = None,
    sources: dict[str, str] | None = None,
    progress_factory: Callable[[], ProgressHook] | None = None,
) -> BootstrapReport:
    actor = require(workspace, actor, "bootstrap")
    started = time.perf_counter()
    new_progress = progress_factory or SilentProgress
    report = BootstrapReport(mapping=mapping.name)
    sources = dict(sources or {})
    for name, key in mapping.source_keys.items():
        spec = sources.get(name) or (find_export(erp_dir, name) if erp_dir else None)
        if spec is None:
            raise FileNotFoundError(f"no location for record source {name!r}: pass --erp-dir or --source {name}=KIND:PATH")
        result = ingest_records(workspace, open_record_source(spec, name=name), key=key, actor=actor, progress=new_progress())
        report.records[name] = result.to_dict()
    report.ocr = ocr_pending_pages(workspace, actor=actor, progress=new_progress()).to_dict()
    report.match = match_records(workspace, mapping, actor=actor, progress=new_progress()).to_dict()
    report.map = map_documents(workspace, mapping, actor=actor, progress=new_progress()).to_dict()
    report.unmatched = unmatched(workspace, mapping.record_source, mapping.document_class)
    report.seconds = time.perf_counter() - started
    return report
