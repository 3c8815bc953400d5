"""The one way a label is written: only over the version the writer read.

Five stages write labels -- map, teach, triage, review and the Label Studio pull. Each reads a
label, decides, and writes it back with :func:`write_if_unchanged`, an ``UPDATE ... WHERE
version = <the version read>`` in the store itself: when someone else wrote in between, the
write changes nothing and returns False, and the writer re-reads (:func:`rewrite`) or reports
the conflict. So a teacher answer or a triage run that lands between a reviewer's read and
save can never silently overwrite the reviewer's work, nor the other way round.

>>> rewrite(workspace, label_id, lambda label, fields: ...)   # re-read and retry on a race
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import update

from curator.labels.fields import check_entries, decided_paths, dump
from curator.labels.paths import gaps
from curator.store.models import Label, LabelStatus, utcnow

KEEP: Any = object()  # leave the column as it is


def label_gaps(schema: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The schema leaves that are unknown on this label (never looked at, or undecided)."""
    return gaps(schema, decided_paths(fields))


def write_if_unchanged(session, label_id: int, base_version: int, *, schema: Mapping[str, Any] | None = None,
                       fields: Mapping[str, Mapping[str, Any]] | None = None, problems: list[str] | None = None,
                       status: str | None = None, priority: Any = KEEP, score: Any = KEEP, now=None) -> bool:
    """Write a label only if it is still at ``base_version``; False when someone else wrote first.

    Every entry is checked against the typed field model and stored with its state; the gaps
    are recomputed from the fields. A finished label (approved, rejected) leaves the review
    queue: no priority.
    """
    values: dict[str, Any] = {"version": base_version + 1, "updated_at": now or utcnow()}
    if fields is not None:
        check_entries(fields)
        values["fields"] = dump(fields)
        if schema is not None:
            values["gaps"] = json.dumps(label_gaps(schema, fields))
    if problems is not None:
        values["problems"] = json.dumps(problems)
    if status is not None:
        values["status"] = status
        if status in (LabelStatus.APPROVED, LabelStatus.REJECTED):
            values["priority"] = None
    if priority is not KEEP and "priority" not in values:
        values["priority"] = priority
    if score is not KEEP:
        values["score"] = score
    result = session.execute(update(Label).where(Label.id == label_id, Label.version == base_version)
                             .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def rewrite(workspace, label_id: int, change: Callable[[Any, Label, dict[str, dict[str, Any]]], dict[str, Any] | None],
            *, attempts: int = 5) -> bool:
    """Read the label, let ``change(session, label, fields)`` decide what to write (keyword
    arguments of :func:`write_if_unchanged`, or None for nothing), write it over the version
    read; on a concurrent write, read again and decide again. False if nothing was written."""
    for _ in range(attempts):
        with workspace.session() as session:
            label = session.get(Label, label_id)
            if label is None:
                return False
            plan = change(session, label, json.loads(label.fields))
            if plan is None:
                return False
            if write_if_unchanged(session, label_id, label.version, **plan):
                session.commit()
                return True
            session.rollback()
    raise StaleLabel(f"label {label_id} kept changing while it was written ({attempts} tries); run again")


class StaleLabel(RuntimeError):
    """A label changed under the writer every time it tried."""
