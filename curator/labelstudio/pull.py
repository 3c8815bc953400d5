"""``curator labelstudio pull``: submitted annotations back into the labels.

Text becomes typed values by the schema; every value is ``human`` with the annotator's e-mail
as agent; each change goes to the audit log. A label that fails the schema goes to the review
queue with the reason; one that passes is approved (a person submitted it). An updated
annotation wins over the one applied before (the history keeps both); a skipped task is noted
and stays in the queue. Pulling again asks Label Studio only for tasks changed since the last
pull (a bookmark per server and project).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import select

from curator.labelstudio.client import LabelStudioError, call, find_project
from curator.labelstudio.interface import build_interface
from curator.labelstudio.push import DOCUMENT_CLASSES
from curator.labelstudio.results import values_from_results
from curator.labels.writer import write_if_unchanged
from curator.review.editing import field_errors, merge_human_values
from curator.schemas.registry import schema_for
from curator.store.models import Label, LabelEvent, LabelStatus, LabelStudioTask, SyncState, utcnow
from curator.workspace import Workspace
from curator.access import Actor, require
from curator.curate.fieldsets import field_set_for
from curator.labels.fields import UNKNOWN, decided_values
from curator.labels.fieldset import field_state
from curator.sensitive import audit_value


@dataclass
class PullReport:
    project_id: int
    tasks_seen: int = 0
    applied: int = 0
    approved: int = 0
    sent_to_review: int = 0
    skipped: int = 0
    unchanged: int = 0
    unknown_tasks: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _bookmark_name(url: str, project_id: int) -> str:
    return f"labelstudio:{url}:{project_id}"[:128]


def _tasks_since(client, url: str, project_id: int, since: str | None):
    """Tasks with a submitted or a skipped annotation, changed since the bookmark: two filtered
    lists (the filter language has one conjunction), so tasks nobody touched are never sent."""
    seen: set[int] = set()
    for counter in ("total_annotations", "cancelled_annotations"):
        items = [{"filter": f"filter:tasks:{counter}", "operator": "greater", "type": "Number", "value": 0}]
        if since:
            items.append({"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime",
                          "value": since})
        query = json.dumps({"filters": {"conjunction": "and", "items": items}})
        for task in call(url, client.tasks.list, project=project_id, fields="all", query=query):
            task_id = _value(task, "id")
            if task_id not in seen:
                seen.add(task_id)
                yield task


def _value(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _stamp(value: Any) -> str:
    """Label Studio's timestamps as one fixed-width UTC text, the format its task filters take
    (the SDK hands back datetimes or strings)."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return ""


def pull(workspace: Workspace, client, url: str, *, actor: Actor | str, project: str, schema_name: str) -> PullReport:
    """Bring annotators' work from Label Studio into the labels, version-checked (authors)."""
    require(workspace, actor, "sync")
    started = time.perf_counter()
    schema = schema_for(workspace, schema_name)
    field_set = field_set_for(workspace, schema_name, schema)
    interface = build_interface(schema, DOCUMENT_CLASSES)
    found = find_project(client, url, project)
    if found is None:
        raise LabelStudioError(f"no project {project!r} in Label Studio at {url}: push first")
    project_id = found.id
    report = PullReport(project_id=project_id)
    emails = {u.id: (u.email or u.username or str(u.id)) for u in call(url, client.users.list)}
    with workspace.session() as session:
        mapped = {t.task_id: t for t in session.exec(select(LabelStudioTask).where(
            LabelStudioTask.server == url, LabelStudioTask.project_id == project_id))}
        bookmark = session.get(SyncState, _bookmark_name(url, project_id))
    newest = bookmark.value if bookmark else None
    for task in _tasks_since(client, url, project_id, bookmark.value if bookmark else None):
        report.tasks_seen += 1
        updated = _stamp(_value(task, "updated_at"))
        newest = max(newest or "", updated) or newest
        row = mapped.get(_value(task, "id"))
        if row is None:
            report.unknown_tasks += 1
            continue
        annotations = [a for a in (_value(task, "annotations") or [])]
        if not annotations:
            continue
        latest = max(annotations, key=lambda a: (_stamp(_value(a, "updated_at")), _value(a, "id")))
        stamp = _stamp(_value(latest, "updated_at"))
        if row.annotation_id == _value(latest, "id") and row.annotation_updated_at == stamp:
            report.unchanged += 1
            continue
        who = emails.get(_value(latest, "completed_by"), str(_value(latest, "completed_by")))
        _apply(workspace, row, latest, who, stamp, interface, schema, field_set, report)
    with workspace.session() as session:
        state = session.get(SyncState, _bookmark_name(url, project_id)) or SyncState(
            name=_bookmark_name(url, project_id), value="")
        if newest:
            state.value, state.updated_at = newest, utcnow()
            session.add(state)
            session.commit()
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _apply(workspace: Workspace, row: LabelStudioTask, annotation: Any, who: str, stamp: str, interface,
           schema: dict[str, Any], field_set: list[str], report: PullReport) -> None:
    annotation_id = _value(annotation, "id")
    reason = f"Label Studio annotation {annotation_id}"
    now = utcnow()
    for _attempt in range(5):  # optimistic: re-read and retry if someone saved in between
        with workspace.session() as session:
            label = session.get(Label, row.label_id)
            fields: dict[str, dict[str, Any]] = json.loads(label.fields)
            events: list[LabelEvent] = []
            if _value(annotation, "was_cancelled"):
                report.skipped += 1
                events.append(LabelEvent(label_id=label.id, field="(status)", old=label.status,
                                         new=LabelStatus.NEEDS_REVIEW, source="human", agent=who,
                                         reason=f"skipped in Label Studio ({reason})"))
                new_status, problems = LabelStatus.NEEDS_REVIEW, json.loads(label.problems)
            else:
                values, unreadable, _document_class = values_from_results(
                    list(_value(annotation, "result") or []), interface, schema)
                # Rows of a table the annotator filled in (or ticked absent) that are no longer there.
                tables = {c.path for c in interface.controls.values() if c.kind == "table"}
                touched = {p.split("[")[0] for p in values if p.split("[")[0] in tables}
                stale_rows = [p for p in fields if "[" in p and p not in values and p.split("[")[0] in touched]
                changes = dict(values)
                for path, old, new, why in merge_human_values(fields, changes, stale_rows, who, now):
                    events.append(LabelEvent(label_id=label.id, field=path, old=audit_value(path, old, schema), new=audit_value(path, new, schema),
                                             source="human", agent=who, reason=f"{why} ({reason})"))
                _errors, problems = field_errors(schema, decided_values(fields))
                problems = [f"{path}: {why}" for path, why in unreadable.items()] + problems
                undecided = [leaf for leaf in field_set if field_state(fields, leaf) == UNKNOWN]
                if undecided:  # not approved while a field of the dataset is unknown
                    problems.append("unknown: " + ", ".join(undecided[:8]))
                new_status = LabelStatus.NEEDS_REVIEW if problems else LabelStatus.APPROVED
                if new_status != label.status or problems:
                    events.append(LabelEvent(
                        label_id=label.id, field="(status)", old=label.status, new=new_status, source="human",
                        agent=who, reason=(f"Label Studio label fails the schema: {'; '.join(problems[:3])}"
                                           if problems else f"submitted in Label Studio ({reason})")))
            if not write_if_unchanged(session, label.id, label.version, schema=schema, fields=fields,
                                      problems=problems, status=new_status, priority=label.priority, now=now):
                session.rollback()
                continue
            session.add_all(events)
            mapping = session.get(LabelStudioTask, row.id)
            mapping.annotation_id, mapping.annotation_updated_at = annotation_id, stamp
            # The prediction now matches what the person submitted: no need to push it back.
            mapping.pushed_version = label.version + 1
            session.add(mapping)
            session.commit()
        if not _value(annotation, "was_cancelled"):
            report.applied += 1
            if new_status == LabelStatus.APPROVED:
                report.approved += 1
            else:
                report.sent_to_review += 1
                report.problems.append({"document": row.document_sha256, "reason": "schema",
                                        "detail": "; ".join(problems[:3])})
        return
    report.problems.append({"document": row.document_sha256, "reason": "busy",
                            "detail": "the label kept changing while the annotation was applied; pull again"})
