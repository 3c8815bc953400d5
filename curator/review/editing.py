"""Opening, editing, approving and rejecting a label, with optimistic locking and an audit trail.

A save names the version it was based on; the database update only succeeds when the label is
still at that version, so a save made on stale data is refused (``StaleVersion``) and never
overwrites what someone else saved. Every changed field becomes a ``human`` value with the
reviewer as agent, and an audit event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from sqlmodel import select

from curator.access import Actor, require
from curator.blobs import BlobPage
from curator.curate.fieldsets import field_set_for
from curator.labels.fields import ABSENT, UNKNOWN, VALUE, decided_values, state_of
from curator.labels.fieldset import field_state
from curator.labels.paths import build_target, leaf_paths, schema_at
from curator.labels.writer import write_if_unchanged
from curator.review.leases import LeaseHeld, claim, holder, release
from curator.review.masking import shown
from curator.schemas.registry import schema_for
from curator.sensitive import audit_value, is_sensitive
from curator.store.models import Document, Label, LabelEvent, LabelStatus, Page, utcnow
from curator.workspace import Workspace

HUMAN_CONFIDENCE = 1.0
ACTIONS = ("draft", "approve", "reject")


class StaleVersion(RuntimeError):
    """The label changed since it was opened; nothing was saved."""


class ReviewRefused(ValueError):
    """The action is not possible as asked (schema errors on approve, no reason to reject, ...)."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


@dataclass
class FieldView:
    path: str
    value: Any
    source: str | None
    agent: str | None
    confidence: float | None
    hint: str | None
    types: list[str]
    enum: list[Any] | None = None
    fmt: str | None = None
    conflict: bool = False
    suspect: bool = False
    candidates: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    state: str = UNKNOWN  # value, absent (decided: not on the document) or unknown (nobody looked yet)
    evidence: dict[str, Any] | None = None  # where the page shows it: {page, bbox[, nearest]}


@dataclass
class LabelView:
    label_id: int
    document: str
    file_name: str
    document_class: str | None
    schema_name: str
    status: str
    version: int
    priority: int | None
    score: float | None
    fields: list[FieldView]
    arrays: dict[str, list[str]]  # object arrays: name -> sub-field names, for table editing
    pages: list[BlobPage]  # read through the blob store (a folder or S3)
    problems: list[str]
    lease: tuple[str, Any] | None
    editable: bool
    pages_withheld: bool = False  # a viewer, and the page prints values masked for them


def _node_types(node: dict[str, Any]) -> list[str]:
    types = node.get("type", [])
    return [types] if isinstance(types, str) else list(types)


def _field_paths(schema: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """Every scalar leaf of the schema, with array elements expanded to those that exist."""
    paths = []
    for leaf in leaf_paths(schema):
        if leaf.endswith("[]"):
            continue
        if "[]." in leaf:
            array, _, sub = leaf.partition("[].")
            indices = sorted({int(p[len(array) + 1:].split("]")[0]) for p in stored if p.startswith(array + "[")})
            paths += [f"{array}[{i}].{sub}" for i in indices]
        else:
            paths.append(leaf)
    return paths


def _arrays(schema: dict[str, Any]) -> dict[str, list[str]]:
    """Lists of objects -> their columns, in the schema's own order (as a person reads a row)."""
    out: dict[str, list[str]] = {}
    for leaf in leaf_paths(schema):
        if "[]." in leaf:
            array, _, sub = leaf.partition("[].")
            out.setdefault(array, []).append(sub)
    for array, subs in out.items():
        order = list(schema_at(schema, array + "[0]").get("properties", {}))
        subs.sort(key=lambda sub: order.index(sub.split(".")[0]) if sub.split(".")[0] in order else len(order))
    return out


def field_errors(schema: dict[str, Any], values: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Schema errors by leaf path (for inline display) and as one list (for the label)."""
    target = build_target(schema, values)
    by_path: dict[str, str] = {}
    problems = []
    for error in jsonschema.Draft202012Validator(schema).iter_errors(target):
        parts = list(error.absolute_path)
        path = ""
        for part in parts:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        problems.append(f"{path.replace('.', '/') or '(root)'}: {error.message}")
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path = f"{path}.{missing}" if path else missing
        by_path.setdefault(path or "(root)", error.message)
    return by_path, problems


def open_label(workspace: Workspace, actor: Actor, label_id: int, *, claim_lease: bool = True) -> LabelView:
    """The label as this person may see it; reviewers and above claim it (LeaseHeld if taken)."""
    actor = require(workspace, actor, "read")
    editable = actor.can("edit")
    if editable and claim_lease:
        try:
            claim(workspace, actor, label_id)
        except LeaseHeld:
            editable = False
            raise
    with workspace.session() as session:
        label = session.get(Label, label_id)
        if label is None:
            raise KeyError(f"no label {label_id}")
        document = session.get(Document, label.document_sha256)
        pages = [BlobPage(workspace.blobs, key) for key in session.exec(
            select(Page.blob_key).where(Page.document_sha256 == label.document_sha256).order_by(Page.index))]
    schema = schema_for(workspace, label.schema_name)
    stored: dict[str, dict[str, Any]] = json.loads(label.fields)
    errors, _ = field_errors(schema, decided_values(stored))
    views = []
    for path in _field_paths(schema, stored):
        entry = stored.get(path, {})
        node = schema_at(schema, path)
        views.append(FieldView(
            path=path, value=shown(actor, path, entry.get("value"), schema), source=entry.get("source"),
            agent=entry.get("agent"), confidence=entry.get("confidence"), hint=node.get("x-hint"),
            types=_node_types(node), enum=node.get("enum"), fmt=node.get("format"),
            conflict=bool(entry.get("conflict")), suspect=bool(entry.get("suspect")),
            candidates=[dict(c, value=shown(actor, path, c.get("value"), schema)) for c in entry.get("candidates", [])],
            error=errors.get(path) if state_of(entry) != UNKNOWN else None, state=state_of(entry),
            evidence=entry.get("evidence")))
    lease = holder(workspace, label_id)
    # The page image prints what the fields mask: a viewer gets no image of a page that holds
    # a sensitive field (until the evidence boxes let those areas be blacked out).
    withheld = actor.role == "viewer" and any(is_sensitive(view.path, schema) for view in views)
    return LabelView(label.id, label.document_sha256, document.file_name if document else "", document.document_class
                     if document else None, label.schema_name, label.status, label.version, label.priority,
                     label.score, views, _arrays(schema), [] if withheld else pages, json.loads(label.problems), lease,
                     editable and label.status != LabelStatus.REJECTED, withheld)


def save_label(workspace: Workspace, actor: Actor, label_id: int, *, base_version: int,
               changes: dict[str, Any] | None = None, action: str = "draft", reason: str | None = None,
               removed_paths: list[str] | None = None) -> LabelView:
    """Apply a reviewer's changes (already typed values, by leaf path) and an action.

    ``draft`` keeps the label in the queue; ``approve`` needs a schema-valid label without
    open conflicts (a conflict whose shown value is one of its suggestions counts as chosen:
    the reviewer saw it and approved it); ``reject`` needs a reason. Raises StaleVersion, LeaseHeld, ReviewRefused
    or PermissionDenied; nothing is written then.
    """
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    actor = require(workspace, actor, "approve" if action in ("approve", "reject") else "edit")
    if action == "reject" and not (reason or "").strip():
        raise ReviewRefused("say why the document is rejected")
    current_holder = holder(workspace, label_id)
    if current_holder and current_holder[0] != actor.name:
        raise LeaseHeld(*current_holder)
    changes = dict(changes or {})
    removed = set(removed_paths or [])
    now = utcnow()
    with workspace.session() as session:
        label = session.get(Label, label_id)
        if label is None:
            raise KeyError(f"no label {label_id}")
        if label.version != base_version:
            raise StaleVersion(_stale_message(session, label, base_version))
        schema = schema_for(workspace, label.schema_name)
        fields: dict[str, dict[str, Any]] = json.loads(label.fields)
        for path in changes:
            schema_at(schema, path)  # KeyError for a path the schema does not have
        merged = merge_human_values(fields, changes, removed, actor.name, now)
        if action == "approve":  # the value on screen is one of the suggestions: approving chooses it
            merged += [(path, old, new, "approved as shown") for path, old, new, _ in merge_human_values(
                fields, shown_choices(fields), (), actor.name, now)]
        events = [LabelEvent(label_id=label_id, field=path, old=audit_value(path, old, schema),
                             new=audit_value(path, new, schema), source="human", agent=actor.name, reason=why)
                  for path, old, new, why in merged]
        values = {p: e.get("value") for p, e in fields.items()}
        errors, problems = field_errors(schema, values)
        old_status, old_priority = label.status, label.priority
        new_status = label.status
        if action == "approve":
            open_conflicts = sorted(p for p, e in fields.items() if e.get("conflict"))
            if open_conflicts:
                raise ReviewRefused("choose a value for every conflict first: " + ", ".join(open_conflicts),
                                    {p: "conflict not resolved" for p in open_conflicts})
            undecided = [leaf for leaf in field_set_for(workspace, label.schema_name, schema)
                         if field_state(fields, leaf) == UNKNOWN]
            if undecided:  # an approved label goes into the datasets: every field of the set decided
                raise ReviewRefused("decide every field of the dataset first (type the value, or mark it not on "
                                    "the document): " + ", ".join(undecided[:8]),
                                    {leaf: "unknown: type the value or mark it absent" for leaf in undecided})
            if problems:
                raise ReviewRefused("the label does not match the schema: " + "; ".join(problems[:3]), errors)
            for entry in fields.values():  # approving vouches for every value left as it was
                if entry.get("suspect"):
                    entry["suspect"] = False
                    entry["confirmed_by"] = actor.name
            new_status = LabelStatus.APPROVED
        elif action == "reject":
            new_status = LabelStatus.REJECTED
        elif new_status in (LabelStatus.AUTO_ACCEPTED, LabelStatus.DRAFT, LabelStatus.PRE_ANNOTATED,
                            LabelStatus.APPROVED):
            new_status = LabelStatus.NEEDS_REVIEW  # a person is on it now
        if not write_if_unchanged(session, label_id, base_version, schema=schema, fields=fields, problems=problems,
                                  status=new_status, priority=old_priority, now=now):
            session.rollback()
            raise StaleVersion(_stale_message(session, session.get(Label, label_id), base_version))
        if new_status != old_status:
            events.append(LabelEvent(label_id=label_id, field="(status)", old=old_status, new=new_status,
                                     source="human", agent=actor.name,
                                     reason=(reason or "").strip() or {"approve": "approved", "draft": "draft saved",
                                                                       "reject": "rejected"}[action]))
        session.add_all(events)
        session.commit()
    if action in ("approve", "reject"):
        release(workspace, actor, label_id)
    else:
        claim(workspace, actor, label_id)  # saving renews the lease
    return open_label(workspace, actor, label_id, claim_lease=False)


def shown_choices(fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Open conflicts whose shown value is one of their suggestions, with that value.

    The reviewer saw that value beside the others and approved: clicking "Take" for it too
    would only cost a click. A shown value that is none of the suggestions still blocks.
    """
    return {path: entry.get("value") for path, entry in fields.items()
            if entry.get("conflict") and any(c.get("value") == entry.get("value") for c in entry.get("candidates", []))}


def merge_human_values(fields: dict[str, dict[str, Any]], changes: dict[str, Any], removed: set[str] | list[str],
                       agent: str, now) -> list[tuple[str, Any, Any, str]]:
    """Put a person's values into a label's fields (in place); returns (path, old, new, why) per change.

    Each value becomes ``source: human`` with the person as agent and full confidence; what was
    there before is kept under ``previous``. A value equal to the stored one counts only if it
    settles something (a conflict or a non-human source): then it is "confirmed".
    """
    out = []
    for path in sorted(removed):
        if path in fields:
            out.append((path, fields[path].get("value"), None, "row removed"))
            del fields[path]
    for path, value in sorted(changes.items()):
        old = fields.get(path)
        if old and old.get("value") == value and old.get("source") == "human" and not old.get("conflict") \
                and state_of(old) == (ABSENT if value is None else VALUE):
            continue
        why = ("resolved a conflict" if old and old.get("conflict") else
               "confirmed" if old and old.get("value") == value else "corrected")
        fields[path] = {"state": ABSENT if value is None else VALUE, "value": value, "source": "human",
                        "agent": agent, "confidence": HUMAN_CONFIDENCE, "at": now.isoformat(),
                        **({"previous": {"source": old.get("source"), "agent": old.get("agent"),
                                         "value": old.get("value")}} if old else {})}
        out.append((path, old and old.get("value"), value, why))
    return out


def _stale_message(session, label: Label, base_version: int) -> str:
    last = session.exec(select(LabelEvent).where(LabelEvent.label_id == label.id)
                        .order_by(LabelEvent.id.desc())).first()
    who = f" by {last.agent} at {last.at:%H:%M:%S} UTC" if last is not None else ""
    return (f"this document was changed{who} after you opened it (version {base_version} -> {label.version}); "
            "nothing was saved: reload it to see the changes")


def history(workspace: Workspace, actor: Actor, label_id: int) -> list[dict[str, Any]]:
    """Who changed what and when, newest first (values masked for viewers)."""
    actor = require(workspace, actor, "read")
    with workspace.session() as session:
        events = session.exec(select(LabelEvent).where(LabelEvent.label_id == label_id)
                              .order_by(LabelEvent.id.desc())).all()
    out = []
    for e in events:
        old, new = (e.old, e.new) if e.field == "(status)" else (_load(e.old), _load(e.new))
        out.append({"at": e.at, "who": e.agent, "source": e.source, "field": e.field,
                    "old": shown(actor, e.field, old), "new": shown(actor, e.field, new), "reason": e.reason})
    return out


def _load(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
