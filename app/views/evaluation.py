"""Evaluation: base versus fine-tuned by category and metric, F1 per category, and the per-field
edit-distance heat map across documents."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app.state import workspace
from curator.evaluate.compare import CODES, comparison_rows
from curator.evaluate.runner import list_runs, load_run


def render() -> None:
    ws = workspace()
    st.header("Evaluation")
    runs = list_runs(ws)
    if len(runs) < 1:
        st.info("No evaluation runs yet: `curator evaluate --model ... --split test`.")
        return
    names = [r["name"] for r in runs]
    st.dataframe(pd.DataFrame(runs), hide_index=True)
    left, right = st.columns(2)
    base = left.selectbox("Base", names, index=0, key="eval_base")
    tuned = right.selectbox("Fine-tuned", names, index=len(names) - 1, key="eval_tuned")
    a, b = load_run(ws, base), load_run(ws, tuned)
    rows = pd.DataFrame(comparison_rows(a, b))
    shown = rows.copy()
    for column in ("base", "fine_tuned", "improvement"):
        shown[column] = shown[column].map(lambda v: None if pd.isna(v) else round(v * 100, 2))
    st.subheader("Category x metric (%)")
    st.dataframe(shown, hide_index=True, width="stretch")
    f1 = rows[rows["metric"] == "f1"].melt(id_vars="category", value_vars=["base", "fine_tuned"], var_name="model",
                                           value_name="f1")
    st.altair_chart(alt.Chart(f1).mark_bar().encode(x="category:N", xOffset="model:N", y=alt.Y("f1:Q", title="F1"),
                                                    color="model:N", tooltip=["category", "model", "f1"]),
                    width="stretch")
    st.subheader(f"Edit distance per field: {tuned}")
    cells = pd.DataFrame(b.get("cells", []))
    if cells.empty:
        return
    cells["distance"] = cells["value"].map(lambda v: v if isinstance(v, (int, float)) else None)
    cells["code"] = cells["value"].map(lambda v: v if isinstance(v, str) else "edit distance")
    base_chart = alt.Chart(cells).encode(x=alt.X("field:N"), y=alt.Y("document:N"),
                                         tooltip=["document", "field", "value"])
    distances = base_chart.transform_filter("datum.code == 'edit distance'").mark_rect().encode(
        color=alt.Color("distance:Q", scale=alt.Scale(scheme="reds"), title="edit distance"))
    codes = base_chart.transform_filter("datum.code != 'edit distance'").mark_rect().encode(
        fill=alt.Fill("code:N", scale=alt.Scale(domain=list(CODES), scheme="purplegreen"), title="special"))
    st.altair_chart(alt.layer(distances, codes).resolve_scale(color="independent"), width="stretch")
