"""What the teacher cost: every stored call summed by model and mode, so nobody has to add up
an invoice from the provider to know what a pre-annotation run paid."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from curator.store.models import TeacherCall
from curator.workspace import Workspace


def teacher_costs(workspace: Workspace) -> dict[str, Any]:
    """Teacher calls, tokens, dollars and latency by model and mode (``curator report teacher``)."""
    rows = []
    with workspace.session() as session:
        grouped = session.exec(
            select(TeacherCall.model, TeacherCall.mode, TeacherCall.status, func.count(),
                   func.sum(TeacherCall.input_tokens), func.sum(TeacherCall.output_tokens),
                   func.sum(TeacherCall.cost_usd), func.avg(TeacherCall.latency_ms), func.max(TeacherCall.latency_ms),
                   func.sum(TeacherCall.attempts))
            .group_by(TeacherCall.model, TeacherCall.mode, TeacherCall.status)
            .order_by(TeacherCall.model, TeacherCall.mode, TeacherCall.status)).all()
    for model, mode, status, calls, tokens_in, tokens_out, cost, mean_ms, max_ms, attempts in grouped:
        rows.append({"model": model, "mode": mode, "status": status, "calls": calls,
                     "input_tokens": int(tokens_in or 0), "output_tokens": int(tokens_out or 0),
                     "cost_usd": round(float(cost or 0.0), 6), "mean_latency_ms": round(float(mean_ms or 0.0)),
                     "max_latency_ms": int(max_ms or 0), "attempts": int(attempts or 0)})
    totals = {key: sum(r[key] for r in rows) for key in ("calls", "input_tokens", "output_tokens", "attempts")}
    totals["cost_usd"] = round(sum(r["cost_usd"] for r in rows), 6)
    answered = sum(r["calls"] for r in rows if r["status"] == "ok")
    totals["cost_per_answer_usd"] = round(totals["cost_usd"] / answered, 6) if answered else None
    return {"rows": rows, "totals": totals}
