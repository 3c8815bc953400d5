"""The tables of a workspace (see DESIGN.md, "The data model").

A document's identity is the sha256 of its bytes, so the same file arriving twice, from
two folders or under two names, is one document. Tables for later stages (records,
matches, labels, ...) arrive with their own Alembic migration.
"""

from __future__ import annotations

import json

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _timestamp(nullable: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


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
    # Text read by OCR for image-only pages (None until OCR has run on the page).
    ocr_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The page's lines with their boxes (gzipped JSON in the blob store; None until read).
    words_blob: str | None = Field(default=None, max_length=256)


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


# -- ERP bootstrap (issue #3) -------------------------------------------------------------


class ErpRecord(SQLModel, table=True):
    """One row of a historic system export, kept verbatim, identified by its natural key.

    ``content_hash`` (sha256 of the canonical JSON of ``raw``) tells a changed row from an
    unchanged one on the next pull, so re-pulling updates instead of duplicating.
    """

    __tablename__ = "erp_record"
    __table_args__ = (UniqueConstraint("source", "record_key", name="uq_erp_record_source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    record_key: str = Field(max_length=256)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    row_number: int | None = None
    fetched_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class MatchStatus:
    AUTO = "auto"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    AMBIGUOUS = "ambiguous"
    DECIDED = (CONFIRMED, REJECTED)  # a person's decision: never overwritten by a re-run
    LINKED = (AUTO, CONFIRMED)


class Match(SQLModel, table=True):
    """A candidate link between a record and a document, with the evidence for it.

    Ambiguous candidates are rows too (several per record or document); only linked ones
    (auto or confirmed) must be one-to-one, which the matcher and ``confirm`` enforce.
    """

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="erp_record.id", index=True)
    document_sha256: str = Field(foreign_key="document.sha256", max_length=64, index=True)
    score: float
    method: str = Field(max_length=64)
    evidence: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16, index=True)
    decided_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class LabelStatus:
    DRAFT = "draft"
    PRE_ANNOTATED = "pre_annotated"
    NEEDS_REVIEW = "needs_review"
    AUTO_ACCEPTED = "auto_accepted"
    APPROVED = "approved"
    REJECTED = "rejected"


class Label(SQLModel, table=True):
    """The current target JSON of a document, one field at a time, with provenance.

    ``fields`` maps a leaf path (``employee.ssn``, ``multiStateEmployment[0].state``) to
    ``{value, source, confidence, agent, at}`` (plus ``suspect`` when a value cannot be
    found in the document). ``gaps`` lists the schema leaves nobody has filled yet.
    ``version`` is bumped on every write for optimistic locking.
    """

    __table_args__ = (UniqueConstraint("document_sha256", "schema_name", name="uq_label_document_schema"),
                      # The review queue: WHERE status = ... ORDER BY priority, score, id, read in index order.
                      Index("ix_label_review_queue", "status", "priority", "score", "id"))

    id: int | None = Field(default=None, primary_key=True)
    document_sha256: str = Field(foreign_key="document.sha256", max_length=64, index=True)
    schema_name: str = Field(max_length=64)
    schema_version: str = Field(max_length=32)
    fields: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    gaps: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    problems: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    status: str = Field(default=LabelStatus.DRAFT, max_length=32, index=True)
    # Set by triage: review order (0 = conflicts, 1 = unsure teacher-only values, 2 = the
    # rest) and the lowest field confidence, which Label Studio shows as the score.
    priority: int | None = Field(default=None, index=True)
    score: float | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class LabelEvent(SQLModel, table=True):
    """Append-only audit log: who changed which field of which label, from what to what."""

    __tablename__ = "label_event"

    id: int | None = Field(default=None, primary_key=True)
    label_id: int = Field(foreign_key="label.id", index=True)
    field: str = Field(max_length=256)
    old: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str = Field(max_length=16)
    agent: str = Field(max_length=128)
    reason: str = Field(default="", max_length=512)
    at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


def event_value(value: Any) -> str | None:
    """A field value as the audit log keeps it (``old``/``new``): JSON text, None for none."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


class SyncState(SQLModel, table=True):
    """Small per-source bookmarks, e.g. the change date of the last delta pull."""

    __tablename__ = "sync_state"

    name: str = Field(primary_key=True, max_length=128)
    value: str = Field(max_length=256)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


# -- curation and export (issue #4) ---------------------------------------------------------


class SplitAssignment(SQLModel, table=True):
    """Which split a document belongs to. Written once: a document never changes split,
    so re-exports can never leak a test document into training."""

    __tablename__ = "split_assignment"

    document_sha256: str = Field(foreign_key="document.sha256", primary_key=True, max_length=64)
    split: str = Field(max_length=16, index=True)
    group_key: str = Field(max_length=256)
    strategy: str = Field(max_length=128)
    seed: int
    assigned_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class Export(SQLModel, table=True):
    """A dataset written for a provider: where, what, and the sha256 of every file."""

    id: int | None = Field(default=None, primary_key=True)
    format: str = Field(max_length=32)
    task: str = Field(max_length=32)
    location: str = Field(max_length=1024)
    fingerprint: str = Field(max_length=64, index=True)
    manifest: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


# -- teacher pre-annotation (issue #5) ------------------------------------------------------


class TeacherCall(SQLModel, table=True):
    """One paid question to a teacher model, kept so no document is ever paid for twice.

    ``cache_key`` is the sha256 of (document hash, schema version, model, prompt version,
    mode, fields asked): the same question is answered from here on every re-run.
    """

    __tablename__ = "teacher_call"

    id: int | None = Field(default=None, primary_key=True)
    cache_key: str = Field(max_length=64, unique=True)
    document_sha256: str = Field(foreign_key="document.sha256", max_length=64, index=True)
    model: str = Field(max_length=256)
    prompt_version: str = Field(max_length=32)
    mode: str = Field(max_length=16)
    status: str = Field(max_length=16, index=True)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: int = 0
    attempts: int = 1
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    raw: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class TeacherBatch(SQLModel, table=True):
    """One Bedrock batch inference job: which questions went out in it and where the answers land.

    ``tasks`` lists ``{cache_key, label_id, document, wanted}`` for every record sent, so the
    answers can be merged after a restart (the job may run for hours) without planning again.
    """

    __tablename__ = "teacher_batch"

    id: int | None = Field(default=None, primary_key=True)
    job_name: str = Field(max_length=63, unique=True)
    job_arn: str | None = Field(default=None, max_length=1011)
    model: str = Field(max_length=256)
    mode: str = Field(max_length=16)
    schema_name: str = Field(max_length=64)
    input_uri: str = Field(max_length=1024)
    output_uri: str = Field(max_length=1024)
    status: str = Field(default="Preparing", max_length=32, index=True)
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    records: int = 0
    tasks: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    collected: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    finished_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class Role:
    ADMIN = "admin"
    AUTHOR = "author"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class User(SQLModel, table=True):
    """Someone who logs in to the review UI; the password is kept only as an argon2 hash."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=256)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class TargetSchema(SQLModel, table=True):
    """A user's target JSON Schema, registered in the workspace; changing it makes a new version."""

    __tablename__ = "target_schema"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_target_schema_version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    version: int
    document: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    created_by: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class LoginFailure(SQLModel, table=True):
    """A failed log-in, kept for the rate-limit window: counted per user name and per address."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    user_name: str = Field(max_length=128, index=True)
    address: str = Field(default="", max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class ReviewSession(SQLModel, table=True):
    """A review UI log-in that survives a reload: the browser holds the token, we hold its hash.

    Only the SHA-256 of the token is stored, so a copy of the database logs nobody in; ending
    a session (log-out) or disabling the user takes effect on every server process at once.
    """

    __tablename__ = "review_session"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True, index=True)
    user_name: str = Field(max_length=128, index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())
    ended_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class ReviewLease(SQLModel, table=True):
    """Who is working on a label, until when: two reviewers never edit the same document.

    One row per label (unique): claiming is an insert, or a conditional update of an expired
    or own lease, so two people racing for the same label cannot both win, on either store.
    """

    __tablename__ = "review_lease"

    label_id: int = Field(foreign_key="label.id", primary_key=True)
    user_name: str = Field(max_length=128, index=True)
    expires_at: datetime = Field(sa_column=_timestamp())


class LabelStudioTask(SQLModel, table=True):
    """Which Label Studio task holds which document, so a push never duplicates tasks and a
    pull knows which annotations it already applied."""

    __tablename__ = "labelstudio_task"
    __table_args__ = (UniqueConstraint("server", "project_id", "document_sha256", name="uq_ls_task_document"),
                      UniqueConstraint("server", "task_id", name="uq_ls_task_id"))

    id: int | None = Field(default=None, primary_key=True)
    server: str = Field(max_length=512)
    project_id: int = Field(index=True)
    document_sha256: str = Field(foreign_key="document.sha256", max_length=64)
    label_id: int = Field(foreign_key="label.id", index=True)
    task_id: int
    prediction_id: int | None = None
    pushed_version: int = 0  # the label version the current prediction was built from
    annotation_id: int | None = None
    annotation_updated_at: str | None = Field(default=None, max_length=64)
    pushed_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class FineTuneJob(SQLModel, table=True):
    """A training job Curator submitted: what was asked (the exact request), where it stands,
    and what came out of it (custom model, deployment)."""

    __tablename__ = "finetune_job"

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=16)  # bedrock | sagemaker
    name: str = Field(max_length=63, unique=True)
    arn: str | None = Field(default=None, max_length=1011)
    base_model: str = Field(max_length=256)
    export_id: int | None = Field(default=None, foreign_key="export.id")
    hyperparameters: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    request: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    status: str = Field(default="Submitted", max_length=32, index=True)
    timeline: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    output_uri: str | None = Field(default=None, max_length=1024)
    custom_model_arn: str | None = Field(default=None, max_length=1011)
    deployment_arn: str | None = Field(default=None, max_length=1011)
    failure_message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class EvalRun(SQLModel, table=True):
    """One evaluation: a model over a split, with its metrics (per field and category)."""

    __tablename__ = "eval_run"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True)
    model: str = Field(max_length=512)
    schema_name: str = Field(max_length=64)
    split: str = Field(max_length=16)
    status: str = Field(default="running", max_length=16)
    metrics: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class EvalPrediction(SQLModel, table=True):
    """A model's answer for one document of a run, kept as soon as it arrives (runs resume)."""

    __tablename__ = "eval_prediction"
    __table_args__ = (UniqueConstraint("run_id", "document_sha256", name="uq_eval_prediction_document"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="eval_run.id", index=True)
    document_sha256: str = Field(foreign_key="document.sha256", max_length=64)
    raw: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    input_tokens: int = 0
    output_tokens: int = 0
    pages: int = 1
    latency_ms: int = 0
