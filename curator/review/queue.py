"""The review queue: what needs a person, most urgent first, with the filters reviewers use.

Order: triage priority (conflicts, then unsure teacher values, then the rest), then the lowest
field confidence, then age. Documents another reviewer holds a live lease on are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from curator.review.leases import LeaseHeld, claim, release
from curator.access import Actor, require
from curator.store.models import Document, Label, LabelStatus, ReviewLease, utcnow
from curator.workspace import Workspace
from curator.labels.fields import UNKNOWN, state_of

SOURCES = ("erp", "teacher", "human", "rule")


@dataclass(frozen=True)
class QueueFilter:
    statuses: tuple[str, ...] = (LabelStatus.NEEDS_REVIEW,)
    document_class: str | None = None
    schema_name: str | None = None
    conflicts_only: bool = False
    conflict_field: str | None = None  # a leaf path, e.g. "total" or "employee.ssn"
    source: str | None = None  # labels with at least one field from this source
    reason: str | None = None  # one of REASONS: why a person is needed


@dataclass
class QueueItem:
    label_id: int
    document: str
    file_name: str
    document_class: str | None
    schema_name: str
    status: str
    priority: int | None
    score: float | None
    version: int
    conflicts: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why a person is needed: conflict, suspect, unknown, low confidence

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _scoped(query, filters: QueueFilter):
    """Labels of the wanted statuses, document class and schema (``query`` joins Document)."""
    query = query.where(col(Label.status).in_(filters.statuses))
    if filters.document_class:
        query = query.where(Document.document_class == filters.document_class)
    if filters.schema_name:
        query = query.where(Label.schema_name == filters.schema_name)
    return query


def _query(filters: QueueFilter, actor: Actor):
    now = utcnow()
    query = _scoped(select(Label.id, Label.document_sha256, Document.file_name, Document.document_class,
                           Label.schema_name, Label.status, Label.priority, Label.score, Label.version, Label.fields)
                    .join(Document, Document.sha256 == Label.document_sha256)
                    .outerjoin(ReviewLease, ReviewLease.label_id == Label.id)
                    .where(or_(col(ReviewLease.label_id).is_(None), ReviewLease.expires_at < now,
                               ReviewLease.user_name == actor.name)), filters)
    if filters.conflicts_only or filters.conflict_field or filters.reason == "conflict":
        query = query.where(col(Label.fields).contains('"conflict": true'))
    if filters.source:
        query = query.where(col(Label.fields).contains(f'"source": "{filters.source}"'))
    # Plain columns (no coalesce) so the store reads the queue in index order; only labels
    # that need review are queued, and triage gives all of them a priority and a score.
    return query.order_by(Label.priority, Label.score, Label.id)


def _matches(fields: dict[str, Any], filters: QueueFilter, score: float | None = None) -> list[str] | None:
    if filters.reason and filters.reason not in reasons_for(fields, score):
        return None
    conflicts = sorted(path for path, entry in fields.items() if entry.get("conflict"))
    if filters.conflict_field and filters.conflict_field not in conflicts:
        return None
    if filters.conflicts_only and not conflicts:
        return None
    if filters.source and not any(entry.get("source") == filters.source for entry in fields.values()):
        return None
    return conflicts


def iter_queue(workspace: Workspace, actor: Actor, filters: QueueFilter = QueueFilter(),
               batch: int = 50) -> Iterator[QueueItem]:
    """Queue items in order, read a page at a time (the queue may hold tens of thousands)."""
    actor = require(workspace, actor, "read")
    offset = 0
    while True:
        with workspace.session() as session:
            rows = session.exec(_query(filters, actor).offset(offset).limit(batch)).all()
        for row in rows:
            fields = json.loads(row[9])
            conflicts = _matches(fields, filters, row[7])
            if conflicts is not None:
                yield QueueItem(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], conflicts,
                                reasons_for(fields, row[7]))
        if len(rows) < batch:
            return
        offset += batch


REASONS = ("conflict", "suspect field", "unknown fields", "low confidence")


def reasons_for(fields: dict[str, Any], score: float | None, low: float = 0.9) -> list[str]:
    """Why a label needs a person, in the words the queue shows."""
    reasons = []
    if any(entry.get("conflict") for entry in fields.values()):
        reasons.append("conflict")
    if any(entry.get("suspect") for entry in fields.values()):
        reasons.append("suspect field")
    if any(state_of(entry) == UNKNOWN for entry in fields.values()):
        reasons.append("unknown fields")
    if score is not None and score < low:
        reasons.append("low confidence")
    return reasons


def review_queue(workspace: Workspace, actor: Actor, filters: QueueFilter = QueueFilter(),
                 limit: int = 50, offset: int = 0) -> list[QueueItem]:
    """``limit`` documents of the queue from position ``offset``, in review order (a page of it)."""
    items = []
    for position, item in enumerate(iter_queue(workspace, actor, filters, batch=max(limit, 50))):
        if position < offset:
            continue
        items.append(item)
        if len(items) >= limit:
            break
    return items


def queue_schemas(workspace: Workspace, actor: Actor) -> list[str]:
    """The schemas of the labels in the workspace, for the queue's filter."""
    require(workspace, actor, "read")
    with workspace.session() as session:
        return sorted(session.exec(select(Label.schema_name).distinct()).all())


def queue_size(workspace: Workspace, actor: Actor, filters: QueueFilter = QueueFilter()) -> int:
    """How many documents the queue holds with these filters."""
    actor = require(workspace, actor, "read")
    with workspace.session() as session:
        query = _scoped(select(func.count()).select_from(Label)
                        .join(Document, Document.sha256 == Label.document_sha256), filters)
        return session.exec(query).one()


def next_document(workspace: Workspace, actor: Actor, filters: QueueFilter = QueueFilter(),
                  skip: frozenset[int] = frozenset()) -> QueueItem | None:
    """The first document in the queue nobody else holds, claimed for ``actor``.

    ``skip`` holds labels this reviewer already passed in this session (so "next" moves on
    even when a draft left a document in the queue). Two reviewers asking at once get two
    different documents: the lease decides.
    """
    actor = require(workspace, actor, "edit")
    for item in iter_queue(workspace, actor, filters, batch=20):
        if item.label_id in skip:
            continue
        try:
            claim(workspace, actor, item.label_id)
        except LeaseHeld:
            continue
        # The page of the queue was read before the lease was won: someone may have finished
        # this document in between (and released it). Only a document still waiting counts.
        with workspace.session() as session:
            label = session.get(Label, item.label_id)
            still_waiting = label is not None and label.status in filters.statuses
            if still_waiting:
                item.version, item.status = label.version, label.status
        if still_waiting:
            return item
        release(workspace, actor, item.label_id)
    return None


def label_for_document(workspace: Workspace, actor: Actor, document: str) -> int | None:
    """The label of the document whose sha256 is (or starts with) ``document`` -- what a link
    ``?doc=...`` opens; None when no document or more than one matches."""
    actor = require(workspace, actor, "read")
    prefix = document.strip().lower()
    if len(prefix) < 6 or not all(ch in "0123456789abcdef" for ch in prefix):
        return None
    with workspace.session() as session:
        ids = session.exec(select(Label.id).where(col(Label.document_sha256).startswith(prefix)).limit(2)).all()
    return ids[0] if len(ids) == 1 else None
