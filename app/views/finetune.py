"""Fine-tune: pick an export, see its validation, the recommended settings and the cost, press
one button; then follow the job's stages and loss."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from app.state import actor, workspace
from curator.finetune.bedrock import plan_bedrock, submit_bedrock
from curator.finetune.jobs import FinetuneError
from curator.finetune.lifecycle import job_status, jobs_overview
from curator.finetune.recipes import BASE_MODELS
from curator.review.users import PermissionDenied


def _exports(ws) -> dict[int, str]:
    """The Bedrock exports, newest first, described in words (format, schema, counts, when)."""
    from sqlmodel import select

    from curator.store.models import Export

    with ws.session() as session:
        rows = session.exec(select(Export).where(Export.format.like("bedrock%")).order_by(Export.id.desc())).all()
    out = {}
    for row in rows:
        manifest = json.loads(row.manifest)
        counts = ", ".join(f"{n} {split}" for split, n in sorted(manifest.get("counts", {}).items()))
        out[row.id] = (f"export {row.id}: {row.format} {manifest.get('schema') or manifest.get('task')} — "
                       f"{counts or 'empty'} ({row.created_at:%Y-%m-%d %H:%M})")
    return out


def render() -> None:
    me = actor()
    ws = workspace()
    st.header("Fine-tune")
    left, right = st.columns(2)
    base = left.selectbox("Base model (Bedrock)", list(BASE_MODELS), key="ft_base")
    exports = _exports(ws)
    if not exports:
        st.info("No Bedrock export yet: `curator export --format bedrock-nova --schema ... --s3 s3://...`.")
        return
    export = right.selectbox("Export", list(exports), format_func=exports.get, key="ft_export")
    role = st.text_input("Service role ARN", value=ws.config.finetune.role_arn or "", key="ft_role")
    distill = st.checkbox("Distill from Nova Premier instead of fine-tuning", key="ft_distill")
    options = {"base": base, "role_arn": role or None, "export": str(export),
               "distill_teacher": "nova-premier" if distill else None}
    can_submit = me.can("finetune")
    try:
        plan = plan_bedrock(ws, me, **options) if can_submit else None
    except (FinetuneError, ValueError) as exc:
        st.error(str(exc))
        plan = None
    if not can_submit:
        st.info("Only authors and admins may start, stop or delete fine-tuning jobs.")
    if plan:
        plan.pop("_export", None)
        st.success(f"Export {plan['export']} is valid for {base}: {plan['records']} records "
                   f"({plan['validation']['counts']})")
        for warning in plan["validation"]["warnings"]:
            st.warning(warning)
        estimate = plan["estimate"]
        st.subheader("Recommended settings")
        st.table(pd.DataFrame([plan["hyperparameters"]]))
        st.metric("Estimated training cost", f"${estimate['usd']:.2f}",
                  help=f"{estimate['training_tokens_per_epoch']:,} tokens x {estimate['epochs']} epochs; "
                       f"storage ${estimate['storage_usd_per_month']}/month")
        with st.expander("The exact request"):
            st.json(plan["request"])
        # A paid job starts only after the person says they know what it costs.
        agreed = st.checkbox(f"Start a paid job of about ${estimate['usd']:.2f} on export {plan['export']} "
                             f"({plan['records']} records)", key="ft_confirm")
        if st.button("Start fine-tuning", type="primary", key="ft_submit", disabled=not agreed):
            try:
                result = submit_bedrock(ws, me, **options)
                st.success(f"Submitted {result['job']}")
            except (FinetuneError, PermissionDenied) as exc:
                st.error(str(exc))
    st.subheader("Jobs")
    jobs = jobs_overview(ws, me)
    if not jobs:
        st.caption("no fine-tuning jobs yet")
        return
    st.dataframe(pd.DataFrame(jobs)[["name", "provider", "base_model", "status", "created_by"]], hide_index=True)
    chosen = st.selectbox("Follow job", [j["name"] for j in jobs], key="ft_job")
    if st.button("Refresh status", key="ft_refresh"):
        try:
            status = job_status(ws, me, chosen)
        except FinetuneError as exc:
            st.error(str(exc))
            return
        st.table(pd.DataFrame(status["timeline"]))
        if status.get("failure_message"):
            st.error(status["failure_message"])
        if status["loss"]:
            st.altair_chart(alt.Chart(pd.DataFrame(status["loss"])).mark_line(point=True).encode(
                x="step:Q", y="loss:Q", color="series:N"), width="stretch")
        st.caption(json.dumps({k: status.get(k) for k in ("custom_model_arn", "model_artifacts") if status.get(k)}))
