"""Triage: which labels can go to training without a person looking, and in what order the rest come.

Two policies, chosen in ``curator.toml`` (``[triage] policy``):

Only complete labels are decided: every field of the dataset's field set (``[triage] fields``
in curator.toml) must be decided -- a value, or absent. A label with unknown fields goes to
review (or the teacher) with those fields named. Where no field set was chosen yet, triage
takes the fields decided on at least 90% of the labels, keeps that choice and reports it
(``curator fields`` shows and changes it).

- ``agreement-v1`` (default): a label is auto-accepted when it is complete, schema-valid, has no
  suspect field, no conflict, and every field is *backed*: confirmed by a
  second source (the teacher agreeing with the ERP), set by a person, or from a source trusted
  alone (``trusted_alone``, the ERP by default) at or above ``min_confidence``. A value only the
  teacher gave is not backed: a person looks at it.
- ``erp-v1``: the ERP bootstrap's first policy (complete, schema-valid, nothing suspect).

Labels that need review get a priority: 0 for conflicts, 1 for teacher-only values with low
confidence, 2 for the rest; and a score (the lowest field confidence) that the review queue and
Label Studio show. Every decision goes to the audit log with its reasons.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import col, select

from curator.config import TriageConfig
from curator.labels.fields import UNKNOWN, state_of
from curator.curate import fieldsets
from curator.curate.fieldsets import field_set_for
from curator.labels.fieldset import field_state
from curator.labels.paths import generic
from curator.labels.paths import leaf_paths
from curator.labels.writer import write_if_unchanged
from curator.progress import ProgressHook, SilentProgress
from curator.schemas.registry import schema_for
from curator.store.models import Label, LabelEvent, LabelStatus
from curator.workspace import Workspace
from curator.access import Actor, require

TRIAGED = (LabelStatus.DRAFT, LabelStatus.PRE_ANNOTATED)
CONFLICTS_FIRST, UNSURE_TEACHER, THE_REST = 0, 1, 2


@dataclass
class TriageReport:
    policy: str
    auto_accepted: int = 0
    needs_review: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    by_priority: dict[int, int] = field(default_factory=dict)
    changed_meanwhile: int = 0  # written by someone else while triage read them: judged next time
    field_sets: dict[str, dict[str, Any]] = field(default_factory=dict)  # chosen now, where none was

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verdict:
    reasons: list[str]
    priority: int | None  # None: auto-accepted
    score: float


def _listed(kind: str, paths: list[str]) -> str:
    return f"{kind}: {', '.join(paths[:8])}" + (f" (+{len(paths) - 8} more)" if len(paths) > 8 else "")


def _in_set(path: str, field_set: set[str]) -> bool:
    return generic(path) in field_set


def review_reasons(label: Label, schema: dict[str, Any], field_set: list[str] | None = None) -> list[str]:
    """The reasons every policy shares: schema errors, suspect values, unknown fields of the set."""
    wanted = set(field_set or leaf_paths(schema))
    fields = json.loads(label.fields)
    reasons = []
    problems = json.loads(label.problems)
    if problems:
        reasons.append(f"schema: {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
    suspects = sorted(path for path, entry in fields.items() if entry.get("suspect") and _in_set(path, wanted))
    if suspects:
        reasons.append(_listed("suspect", suspects))
    unknown = [leaf for leaf in (field_set or leaf_paths(schema))
               if field_state(fields, leaf, conflict_is_unknown=False) == UNKNOWN]
    if unknown:
        reasons.append(_listed("unknown", unknown))
    return reasons


def is_backed(entry: dict[str, Any], config: TriageConfig) -> bool:
    if entry.get("conflict") or entry.get("suspect"):
        return False
    if entry.get("source") == "human" or entry.get("agreed_by"):
        return True
    return entry.get("source") in config.trusted_alone and entry.get("confidence", 0.0) >= config.min_confidence


def judge(label: Label, schema: dict[str, Any], config: TriageConfig, field_set: list[str] | None = None) -> Verdict:
    """Why the label needs a person (none: auto-accepted), its review priority and score.

    Only complete labels are accepted: every field of the field set decided (a value, or
    absent), none suspect or in conflict, and -- with agreement-v1 -- every value backed.
    """
    wanted = set(field_set or leaf_paths(schema))
    fields = {path: entry for path, entry in json.loads(label.fields).items() if _in_set(path, wanted)}
    reasons = review_reasons(label, schema, field_set)
    conflicts = sorted(path for path, entry in fields.items() if entry.get("conflict"))
    if conflicts:
        reasons.insert(0, _listed("conflict", conflicts))
    unsure_teacher = sorted(path for path, entry in fields.items()
                            if entry.get("source") == "teacher" and not entry.get("conflict")
                            and entry.get("confidence", 0.0) < config.min_confidence)
    if config.policy == "agreement-v1":
        unbacked = sorted(path for path, entry in fields.items()
                          if state_of(entry) != UNKNOWN and not entry.get("conflict") and not entry.get("suspect")
                          and not is_backed(entry, config))
        if unbacked:
            reasons.append(_listed("unbacked", unbacked))
    score = min((entry.get("confidence", 0.0) for entry in fields.values() if state_of(entry) != UNKNOWN),
                default=1.0)
    if not reasons:
        return Verdict([], None, score)
    priority = CONFLICTS_FIRST if conflicts else UNSURE_TEACHER if unsure_teacher else THE_REST
    return Verdict(reasons, priority, score)


def triage(workspace: Workspace, *, actor: Actor | str, schema_name: str | None = None,
           config: TriageConfig | None = None, progress: ProgressHook | None = None) -> TriageReport:
    """Auto-accept labels whose every field is backed; queue the rest for review by priority (authors).

    >>> triage(workspace, actor="ana").auto_accepted
    """
    require(workspace, actor, "triage")
    config = config or workspace.config.triage
    report = TriageReport(policy=config.policy)
    query = select(Label).where(col(Label.status).in_(TRIAGED))
    if schema_name:
        query = query.where(Label.schema_name == schema_name)
    schemas: dict[str, tuple[dict[str, Any], list[str]]] = {}
    with workspace.session() as session:
        labels = list(session.exec(query))
    progress = progress or SilentProgress()
    progress.start(len(labels), "triage")
    for label in labels:
        progress.advance()
        if label.schema_name not in schemas:
            schema = schema_for(workspace, label.schema_name)
            if label.schema_name not in workspace.config.triage.fields:
                # No field set chosen yet: take the fields the labels decide, keep the choice (so
                # export and evaluation use the same one) and say so.
                chosen = fieldsets.suggest(workspace, label.schema_name)
                fieldsets.save(workspace, label.schema_name, chosen.fields)
                report.field_sets[label.schema_name] = chosen.to_dict()
            schemas[label.schema_name] = (schema, field_set_for(workspace, label.schema_name, schema))
        schema, field_set = schemas[label.schema_name]
        verdict = judge(label, schema, config, field_set)
        new_status = LabelStatus.NEEDS_REVIEW if verdict.reasons else LabelStatus.AUTO_ACCEPTED
        why = ("; ".join(verdict.reasons) if verdict.reasons else
               "complete, schema-valid, every field backed" if config.policy == "agreement-v1" else
               "complete, schema-valid, nothing suspect")
        with workspace.session() as session:
            # Over the version read: a label someone changed meanwhile is left for the next triage.
            if not write_if_unchanged(session, label.id, label.version, status=new_status, priority=verdict.priority,
                                      score=verdict.score):
                session.rollback()
                report.changed_meanwhile += 1
                continue
            session.add(LabelEvent(label_id=label.id, field="(status)", old=label.status, new=new_status,
                                   source="rule", agent=f"triage:{config.policy}", reason=why))
            session.commit()
        for reason in verdict.reasons:
            kind = reason.split(":", 1)[0]
            report.reasons[kind] = report.reasons.get(kind, 0) + 1
        if verdict.priority is None:
            report.auto_accepted += 1
        else:
            report.needs_review += 1
            report.by_priority[verdict.priority] = report.by_priority.get(verdict.priority, 0) + 1
    return report
