"""The tables of a workspace (see DESIGN.md, "The data model").

A document's identity is the sha256 of its bytes, so the same file arriving twice, from
two folders or under two names, is one document. Tables for later stages (records,
matches, labels, ...) arrive with their own Alembic migration.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _timestamp() -> Column:
    return Column(DateTime(timezone=True), nullable=False)


class DocumentStatus:
    INGESTED = "ingested"
    NEEDS_OCR = "needs_ocr"


class Document(SQLModel, table=True):
    sha256: str = Field(primary_key=True, max_length=64)
    file_name: str = Field(max_length=512)
    source_uri: str = Field(max_length=2048)
    mime: str = Field(max_length=64)
    size_bytes: int
    page_count: int
    document_class: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default=DocumentStatus.INGESTED, max_length=32, index=True)
    text_chars: int = 0
    original_blob: str = Field(max_length=256)
    renderer: str = Field(max_length=32)
    dpi: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class Page(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("document_sha256", "index", name="uq_page_document_index"),)

    id: int | None = Field(default=None, primary_key=True)
    document_sha256: str = Field(foreign_key="document.sha256", max_length=64, index=True)
    index: int
    blob_key: str = Field(max_length=256)
    width: int
    height: int
    dpi: int | None = None
    phash: str = Field(max_length=64)
    needs_ocr: bool = False
    text: str = Field(default="", sa_column=Column(Text, nullable=False))


class SourceOutcome:
    DOCUMENT = "document"
    QUARANTINED = "quarantined"


class SourceFile(SQLModel, table=True):
    """What ingest has already seen at a source location.

    Lets a re-run skip a file whose size and modification stamp are unchanged without
    downloading or hashing it again: the resume key for a crashed or repeated ingest.
    """

    __tablename__ = "source_file"

    uri: str = Field(primary_key=True, max_length=2048)
    size_bytes: int
    modified: str = Field(max_length=64)
    sha256: str | None = Field(default=None, max_length=64, index=True)
    outcome: str = Field(max_length=16)
    seen_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class QuarantineEntry(SQLModel, table=True):
    """Input a stage could not use, with the reason, kept so that nothing is lost.

    The raw bytes (when there were any and they were not absurdly large) are kept in the
    blob store under ``blob_key`` so the file can be inspected after the source is gone.
    """

    __tablename__ = "quarantine_entry"
    __table_args__ = (UniqueConstraint("stage", "source_uri", name="uq_quarantine_stage_source"),)

    id: int | None = Field(default=None, primary_key=True)
    stage: str = Field(max_length=32, index=True)
    source_uri: str = Field(max_length=2048)
    file_name: str = Field(max_length=512)
    reason: str = Field(max_length=64, index=True)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    sha256: str | None = Field(default=None, max_length=64)
    blob_key: str | None = Field(default=None, max_length=256)
    occurrences: int = 1
    first_seen: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    last_seen: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
