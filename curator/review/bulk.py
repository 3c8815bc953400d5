"""What an admin does to many documents at once: approve the ones two sources already agree on,
and hand documents held by one reviewer to another.

Bulk approval is narrow on purpose. A label qualifies only when every field of the dataset's
field set is decided, nothing is in conflict or suspect, the label matches its schema, and every
value is one the ERP (or a mapping rule) holds *and* the teacher read from the page
(``agreed_by``) -- or a person already decided it. One source alone never qualifies: the point
of a second reader is that a clerk's typo and a model's misreading rarely coincide. Each label
is written over the version read, so a reviewer's save that lands first wins; a document a
reviewer holds a live lease on is left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from curator.access import Actor, require
from curator.curate.fieldsets import field_set_for
from curator.labels.fields import UNKNOWN, decided_values, state_of
from curator.labels.fieldset import field_state
from curator.labels.writer import write_if_unchanged
from curator.progress import ProgressHook, SilentProgress
from curator.review.editing import field_errors
from curator.schemas.registry import schema_for
from curator.store.models import Label, LabelEvent, LabelStatus, ReviewLease, utcnow
from curator.workspace import Workspace

BULK_STATUSES = (LabelStatus.NEEDS_REVIEW, LabelStatus.AUTO_ACCEPTED)
BULK_REASON = "approved in bulk: ERP and teacher agree on every field"


@dataclass
class BulkApproval:
    """What a bulk approval did (or, with ``dry_run``, would do)."""

    looked_at: int = 0
    approved: int = 0
    held_by_reviewer: int = 0  # a live lease: someone is working on it
    changed_meanwhile: int = 0
    dry_run: bool = False
    not_qualified: dict[str, int] = field(default_factory=dict)  # why not, how many labels
    label_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def why_not_agreed(fields: dict[str, dict[str, Any]], schema: dict[str, Any], field_set: list[str]) -> str | None:
    """Why a label does not qualify for bulk approval (None: ERP and teacher agree on every field)."""
    if any(entry.get("conflict") for entry in fields.values()):
        return "a conflict"
    if any(entry.get("suspect") for entry in fields.values()):
        return "a suspect value"
    if any(field_state(fields, leaf) == UNKNOWN for leaf in field_set):
        return "an unknown field"
    backed_by_both = 0
    for entry in fields.values():
        if state_of(entry) == UNKNOWN:
            continue
        source = entry.get("source")
        if source == "human" or str(entry.get("agent") or "").startswith("agreement:"):
            continue
        if source in ("erp", "rule") and entry.get("agreed_by"):
            backed_by_both += 1
            continue
        return f"a value only the {source} gave"
    if not backed_by_both:
        return "no value the ERP and the teacher share"
    _, problems = field_errors(schema, decided_values(fields))
    if problems:
        return "does not match the schema"
    return None


def approve_agreeing(workspace: Workspace, actor: Actor | str, *, schema_name: str | None = None,
                     statuses: tuple[str, ...] = BULK_STATUSES, dry_run: bool = False,
                     progress: ProgressHook | None = None) -> BulkApproval:
    """Approve every label of ``statuses`` on which the ERP and the teacher agree on every field (admins)."""
    me = require(workspace, actor, "manage_review")
    report = BulkApproval(dry_run=dry_run)
    query = select(Label.id).where(col(Label.status).in_(statuses)).order_by(Label.id)
    if schema_name:
        query = query.where(Label.schema_name == schema_name)
    with workspace.session() as session:
        ids = list(session.exec(query))
        held = {lease.label_id for lease in session.exec(select(ReviewLease).where(ReviewLease.expires_at > utcnow()))}
    progress = progress or SilentProgress()
    progress.start(len(ids), "bulk approval")
    schemas: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for label_id in ids:
        progress.advance()
        report.looked_at += 1
        if label_id in held:
            report.held_by_reviewer += 1
            continue
        with workspace.session() as session:
            label = session.get(Label, label_id)
            if label is None or label.status not in statuses:
                report.changed_meanwhile += 1
                continue
            if label.schema_name not in schemas:
                schema = schema_for(workspace, label.schema_name)
                schemas[label.schema_name] = (schema, field_set_for(workspace, label.schema_name, schema))
            schema, field_set = schemas[label.schema_name]
            fields = json.loads(label.fields)
            reason = why_not_agreed(fields, schema, field_set)
            if reason:
                report.not_qualified[reason] = report.not_qualified.get(reason, 0) + 1
                continue
            report.label_ids.append(label_id)
            if dry_run:
                report.approved += 1
                continue
            if not write_if_unchanged(session, label_id, label.version, status=LabelStatus.APPROVED):
                session.rollback()
                report.changed_meanwhile += 1
                report.label_ids.pop()
                continue
            session.add(LabelEvent(label_id=label_id, field="(status)", old=label.status, new=LabelStatus.APPROVED,
                                   source="human", agent=me.name, reason=BULK_REASON))
            session.commit()
            report.approved += 1
    return report


def reassign_leases(workspace: Workspace, actor: Actor | str, from_user: str, to_user: str | None = None) -> int:
    """Hand the documents ``from_user`` holds to ``to_user`` (or free them, None); how many moved (admins).

    For a reviewer who left for the day with documents claimed: their leases would otherwise
    keep those documents out of everyone's queue until they expire.
    """
    require(workspace, actor, "manage_review")
    if to_user is not None:
        require(workspace, to_user, "edit")  # the new holder must exist, be enabled and may edit
    with workspace.session() as session:
        live = ReviewLease.expires_at > utcnow()
        if to_user is None:
            moved = session.exec(select(ReviewLease).where(ReviewLease.user_name == from_user, live)).all()
            for lease in moved:
                session.delete(lease)
            count = len(moved)
        else:
            count = session.execute(update(ReviewLease).where(ReviewLease.user_name == from_user, live)
                                    .values(user_name=to_user)).rowcount
        session.commit()
    return count


def lease_holders(workspace: Workspace, actor: Actor | str) -> dict[str, int]:
    """Who holds live leases, and on how many documents (admins)."""
    require(workspace, actor, "manage_review")
    with workspace.session() as session:
        leases = session.exec(select(ReviewLease.user_name).where(ReviewLease.expires_at > utcnow())).all()
    counts: dict[str, int] = {}
    for name in leases:
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))
