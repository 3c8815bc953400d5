"""The quarantine: input a stage could not use, listed with the reason, never dropped."""

from __future__ import annotations

from sqlmodel import Session, select

from curator.store.models import QuarantineEntry, utcnow


def quarantine(
    session: Session,
    *,
    stage: str,
    source_uri: str,
    file_name: str,
    reason: str,
    detail: str,
    sha256: str | None = None,
    blob_key: str | None = None,
) -> QuarantineEntry:
    """Record (or refresh) one entry; the same input seen again bumps its count, not the table."""
    entry = session.exec(
        select(QuarantineEntry).where(QuarantineEntry.stage == stage, QuarantineEntry.source_uri == source_uri)
    ).first()
    if entry is None:
        entry = QuarantineEntry(stage=stage, source_uri=source_uri, file_name=file_name, reason=reason, detail=detail)
    else:
        entry.occurrences += 1
        entry.last_seen = utcnow()
        entry.reason, entry.detail = reason, detail
    entry.sha256 = sha256 or entry.sha256
    entry.blob_key = blob_key or entry.blob_key
    session.add(entry)
    return entry


def release(session: Session, *, stage: str, source_uri: str) -> None:
    """Drop an entry once the input it describes has been ingested successfully."""
    entry = session.exec(
        select(QuarantineEntry).where(QuarantineEntry.stage == stage, QuarantineEntry.source_uri == source_uri)
    ).first()
    if entry is not None:
        session.delete(entry)


def list_quarantine(session: Session, stage: str | None = None) -> list[QuarantineEntry]:
    query = select(QuarantineEntry).order_by(QuarantineEntry.stage, QuarantineEntry.source_uri)
    if stage:
        query = query.where(QuarantineEntry.stage == stage)
    return list(session.exec(query))
