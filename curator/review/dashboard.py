"""The figures the dashboard charts: counts by status, field coverage by source, class balance,
reviewer throughput. Plain data (lists of dicts) so the UI, reports and tests share them."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from curator.access import Actor, require
from curator.store.models import Document, Label, LabelEvent, LabelStatus
from curator.workspace import Workspace
from curator.labels.fields import ABSENT, UNKNOWN, state_of
from curator.labels.paths import generic


def status_counts(workspace: Workspace, actor: Actor) -> list[dict[str, Any]]:
    """Labels per status, for the dashboard's chart."""
    actor = require(workspace, actor, "read")
    with workspace.session() as session:
        rows = session.exec(select(Label.schema_name, Label.status, func.count()).group_by(
            Label.schema_name, Label.status)).all()
    return [{"schema": schema, "status": status, "labels": count} for schema, status, count in rows]


def class_balance(workspace: Workspace, actor: Actor) -> list[dict[str, Any]]:
    """Documents per class, and how many of them are ready for training (approved or auto-accepted)."""
    actor = require(workspace, actor, "read")
    ready = (LabelStatus.APPROVED, LabelStatus.AUTO_ACCEPTED)
    with workspace.session() as session:
        total = dict(session.exec(select(Document.document_class, func.count()).group_by(Document.document_class)).all())
        ready_counts = dict(session.exec(
            select(Document.document_class, func.count()).join(Label, Label.document_sha256 == Document.sha256)
            .where(col(Label.status).in_(ready)).group_by(Document.document_class)).all())
    return [{"class": cls or "(none)", "documents": n, "ready": ready_counts.get(cls, 0)}
            for cls, n in sorted(total.items(), key=lambda kv: str(kv[0]))]


def field_coverage(workspace: Workspace, actor: Actor, schema_name: str, batch: int = 2000) -> list[dict[str, Any]]:
    """Per field (array indices folded): how many labels got it from the ERP, the teacher, a
    person, a rule, how many are decided absent, and how many are still unknown. Streams the
    labels a batch at a time."""
    actor = require(workspace, actor, "read")
    counts: dict[str, Counter] = defaultdict(Counter)
    with workspace.session() as session:
        result = session.exec(select(Label.fields, Label.gaps).where(Label.schema_name == schema_name)
                              .execution_options(yield_per=batch))
        for fields_text, gaps_text in result:
            seen: dict[str, str] = {}
            for path, entry in json.loads(fields_text).items():
                state = state_of(entry)
                seen.setdefault(generic(path), "unknown" if state == UNKNOWN else "absent" if state == ABSENT
                                else entry.get("source") or "unknown")
            for gap in json.loads(gaps_text):
                seen.setdefault(generic(gap), "unknown")
            for path, source in seen.items():
                counts[path][source] += 1
    return [{"field": path, "source": source, "labels": n}
            for path in sorted(counts) for source, n in sorted(counts[path].items())]


def reviewer_throughput(workspace: Workspace, actor: Actor) -> list[dict[str, Any]]:
    """Per reviewer and day: documents approved or rejected, and fields changed."""
    actor = require(workspace, actor, "read")
    with workspace.session() as session:
        events = session.exec(select(LabelEvent.agent, LabelEvent.at, LabelEvent.field, LabelEvent.new)
                              .where(LabelEvent.source == "human")).all()
    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for agent, at, field, new in events:
        key = (agent, at.date().isoformat())
        if field == "(status)":
            if new in (LabelStatus.APPROVED, LabelStatus.REJECTED):
                table[key]["documents"] += 1
                table[key][new] += 1
        else:
            table[key]["fields"] += 1
    return [{"reviewer": agent, "day": day, "documents": c["documents"], "approved": c[LabelStatus.APPROVED],
             "rejected": c[LabelStatus.REJECTED], "fields": c["fields"]} for (agent, day), c in sorted(table.items())]
