"""Dashboard: counts by status, field coverage by source, class balance, reviewer throughput."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app.state import actor, workspace
from curator.review.dashboard import class_balance, field_coverage, reviewer_throughput, status_counts

SOURCE_COLOURS = alt.Scale(domain=["erp", "teacher", "human", "rule", "missing"],
                           range=["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#d3d3d3"])


def render() -> None:
    me = actor()
    ws = workspace()
    st.header("Dashboard")
    statuses = pd.DataFrame(status_counts(ws, me))
    balance = pd.DataFrame(class_balance(ws, me))
    left, right = st.columns(2)
    with left:
        st.subheader("Labels by status")
        if statuses.empty:
            st.caption("no labels yet")
        else:
            st.altair_chart(alt.Chart(statuses).mark_bar().encode(
                x=alt.X("labels:Q"), y=alt.Y("status:N", sort="-x"), color="schema:N",
                tooltip=["schema", "status", "labels"]), width="stretch")
    with right:
        st.subheader("Class balance")
        if balance.empty:
            st.caption("no documents yet")
        else:
            long = balance.melt(id_vars="class", value_vars=["documents", "ready"], var_name="count", value_name="n")
            st.altair_chart(alt.Chart(long).mark_bar().encode(
                x=alt.X("class:N"), xOffset="count:N", y="n:Q", color="count:N",
                tooltip=["class", "count", "n"]), width="stretch")
    st.subheader("Field coverage by source")
    schema = st.selectbox("Schema", ["invoice", "w2"], key="coverage_schema")
    coverage = pd.DataFrame(_coverage(str(ws.root), schema))
    if coverage.empty:
        st.caption("no labels for this schema")
    else:
        st.altair_chart(alt.Chart(coverage).mark_bar().encode(
            y=alt.Y("field:N", sort=None), x=alt.X("labels:Q", stack="normalize", title="share of labels"),
            color=alt.Color("source:N", scale=SOURCE_COLOURS), tooltip=["field", "source", "labels"]),
            width="stretch")
    st.subheader("Reviewer throughput")
    throughput = pd.DataFrame(reviewer_throughput(ws, me))
    if throughput.empty:
        st.caption("nobody has reviewed anything yet")
    else:
        st.altair_chart(alt.Chart(throughput).mark_bar().encode(
            x="day:N", y="documents:Q", color="reviewer:N", tooltip=["reviewer", "day", "documents", "approved",
                                                                     "rejected", "fields"]),
            width="stretch")


@st.cache_data(ttl=60, show_spinner="counting field sources ...")
def _coverage(root: str, schema: str) -> list[dict]:
    # Scans every label of the schema: cached for a minute (keyed by workspace and schema).
    return field_coverage(workspace(), actor(), schema)
