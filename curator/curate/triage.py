"""Triage: which labels can go to training without a person looking, and which cannot.

The first policy (``erp-v1``) accepts an ERP-bootstrapped label when it is schema-valid,
has no suspect field and no gap the schema forbids (a leaf that may not be null). Every
other label goes to review with the reason written to the audit log. The teacher issue
extends this with agreement between sources.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import col, select

from curator.erp.paths import schema_at
from curator.schemas import builtin_schema
from curator.store.models import Label, LabelEvent, LabelStatus, utcnow
from curator.workspace import Workspace

POLICY = "erp-v1"
TRIAGED = (LabelStatus.DRAFT, LabelStatus.PRE_ANNOTATED)


@dataclass
class TriageReport:
    policy: str = POLICY
    auto_accepted: int = 0
    needs_review: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _nullable(schema: dict[str, Any]) -> bool:
    types = schema.get("type", [])
    return "null" in ([types] if isinstance(types, str) else types) or schema.get("type") == "array"


def review_reasons(label: Label, schema: dict[str, Any]) -> list[str]:
    reasons = []
    problems = json.loads(label.problems)
    if problems:
        reasons.append(f"schema: {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
    suspects = sorted(path for path, entry in json.loads(label.fields).items() if entry.get("suspect"))
    if suspects:
        reasons.append(f"suspect: {', '.join(suspects)}")
    forbidden = []
    for gap in json.loads(label.gaps):
        try:
            if not _nullable(schema_at(schema, gap)):
                forbidden.append(gap)
        except KeyError:
            forbidden.append(gap)
    if forbidden:
        reasons.append(f"required gap: {', '.join(forbidden)}")
    return reasons


def triage(workspace: Workspace, *, schema_name: str | None = None) -> TriageReport:
    report = TriageReport()
    query = select(Label).where(col(Label.status).in_(TRIAGED))
    if schema_name:
        query = query.where(Label.schema_name == schema_name)
    with workspace.session() as session:
        for label in session.exec(query):
            reasons = review_reasons(label, builtin_schema(label.schema_name))
            new_status = LabelStatus.NEEDS_REVIEW if reasons else LabelStatus.AUTO_ACCEPTED
            for reason in reasons:
                kind = reason.split(":", 1)[0]
                report.reasons[kind] = report.reasons.get(kind, 0) + 1
            if new_status == LabelStatus.AUTO_ACCEPTED:
                report.auto_accepted += 1
            else:
                report.needs_review += 1
            session.add(LabelEvent(label_id=label.id, field="(status)", old=label.status, new=new_status,
                                   source="rule", agent=f"triage:{POLICY}",
                                   reason="; ".join(reasons) or "schema-valid, nothing suspect, no forbidden gap"))
            label.status, label.updated_at = new_status, utcnow()
            label.version += 1
            session.add(label)
        session.commit()
    return report
