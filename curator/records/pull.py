"""The ``ingest erp`` stage: records in, keyed by their natural key, never duplicated.

Pulling the same export again updates the rows whose content changed and adds new ones;
identical duplicate rows are counted, conflicting ones (same key, other values) and
unreadable rows go to the quarantine with file, row and reason.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import col, select

from connectors.records import DeltaSource, RecordSource, RowProblem
from curator.progress import ProgressHook, SilentProgress
from curator.quarantine import quarantine
from curator.sensitive import redact_row, redact_text
from curator.store.models import ErpRecord, SyncState, utcnow
from curator.workspace import Workspace
from curator.access import Actor, require

STAGE = "erp"
BATCH = 500


@dataclass
class RecordProblem:
    location: str
    row: int | None
    reason: str
    detail: str


@dataclass
class RecordReport:
    source: str
    location: str
    rows_read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    problems: list[RecordProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


def record_key(row: dict[str, Any], key: Sequence[str]) -> str:
    """The natural key as the export writes it, parts joined by '/' (e.g. 1000/2019/5105600123)."""
    return "/".join(str(row[column]).strip() for column in key)


def canonical_json(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str,
                      ensure_ascii=False)


def ingest_records(
    workspace: Workspace,
    source: RecordSource,
    *,
    actor: Actor | str,
    key: Sequence[str],
    name: str | None = None,
    progress: ProgressHook | None = None,
) -> RecordReport:
    """Store a source's rows by natural key (authors): new rows added, changed ones updated.

    >>> ingest_records(workspace, open_record_source("csv:erp/RBKP.csv"), actor="ana", key=["BELNR"])
    """
    require(workspace, actor, "ingest")
    if not key:
        raise ValueError(f"no natural key for record source {name or source.name!r}: give --key COL[,COL...]")
    started = time.perf_counter()
    name = name or source.name
    report = RecordReport(source=name, location=source.location)
    progress = progress or SilentProgress()
    progress.start(None, f"ingest erp {name}")
    seen: dict[str, str] = {}
    batch: list[tuple[str, str, int | None]] = []
    # Delta pulls: only rows changed since the high-water mark kept in the store.
    bookmark = source.bookmark if isinstance(source, DeltaSource) else None
    with workspace.session() as session:
        if bookmark and source.since is None:
            state = session.get(SyncState, bookmark)
            source.since = state.value if state else None
        try:
            for item in source.records():
                report.rows_read += 1
                progress.advance()
                if isinstance(item, RowProblem):
                    _quarantine_row(session, report, item.location, item.row, "unreadable_row", item.reason, item.raw)
                    continue
                row_number, item = item.number, item.data
                missing = [column for column in key if column not in item]
                if missing:
                    raise ValueError(
                        f"{source.location}: key column(s) {', '.join(missing)} not in the export "
                        f"(columns: {', '.join(item)})"
                    )
                if any(item[column] in (None, "") for column in key):
                    _quarantine_row(session, report, source.location, row_number, "missing_key",
                                    f"empty key column(s): {', '.join(c for c in key if item[c] in (None, ''))}",
                                    canonical_json(item))
                    continue
                natural_key = record_key(item, key)
                content = canonical_json(item)
                if natural_key in seen:
                    if seen[natural_key] == content:
                        report.duplicates += 1
                    else:
                        _quarantine_row(session, report, source.location, row_number, "duplicate_key_conflict",
                                        f"key {natural_key} appears again with other values; the first row is kept",
                                        content)
                    continue
                seen[natural_key] = content
                batch.append((natural_key, content, row_number))
                if len(batch) >= BATCH:
                    _upsert(session, name, batch, report)
                    batch = []
        except BaseException:
            # The source failed part-way (a broken page, a lost connection): what was read is kept,
            # and the bookmark does not move past it.
            _upsert(session, name, batch, report)
            raise
        _upsert(session, name, batch, report)
        report.warnings = list(source.warnings)
        if bookmark and source.max_seen:
            session.merge(SyncState(name=bookmark, value=source.max_seen, updated_at=utcnow()))
            session.commit()
    report.seconds = time.perf_counter() - started
    return report


def _upsert(session, source: str, batch: Iterable[tuple[str, str, int | None]], report: RecordReport) -> None:
    batch = list(batch)
    if not batch:
        return
    keys = [natural_key for natural_key, _, _ in batch]
    existing = {
        record.record_key: record
        for record in session.exec(
            select(ErpRecord).where(ErpRecord.source == source, col(ErpRecord.record_key).in_(keys))
        )
    }
    now = utcnow()
    for natural_key, content, row_number in batch:
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        record = existing.get(natural_key)
        if record is None:
            session.add(ErpRecord(source=source, record_key=natural_key, raw=content, content_hash=digest,
                                  row_number=row_number, fetched_at=now, updated_at=now))
            report.added += 1
        elif record.content_hash != digest:
            record.raw, record.content_hash, record.row_number = content, digest, row_number
            record.fetched_at = record.updated_at = now
            session.add(record)
            report.updated += 1
        else:
            record.fetched_at = now
            session.add(record)
            report.unchanged += 1
    session.commit()


def _redacted(raw: str) -> str:
    """The row as the quarantine keeps it: sensitive columns and shapes masked (SSNs, IBANs)."""
    try:
        row = json.loads(raw)
    except ValueError:
        return redact_text(raw)
    return canonical_json(redact_row(row)) if isinstance(row, dict) else redact_text(raw)


def _quarantine_row(session, report: RecordReport, location: str, row: int | None, reason: str, detail: str,
                    raw: str) -> None:
    where = f"{location}#row={row}" if row is not None else location
    quarantine(session, stage=STAGE, source_uri=where, file_name=f"{location.rsplit('/', 1)[-1]} row {row}",
               reason=reason, detail=redact_text(detail) + (f" | {_redacted(raw)[:300]}" if raw else ""))
    session.commit()
    report.quarantined += 1
    report.problems.append(RecordProblem(location=location, row=row, reason=reason, detail=detail))
