"""The queue: what needs review, most urgent first, with filters; start or open a document."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.state import actor, go, workspace
from curator.review.queue import REASONS, SOURCES, QueueFilter, next_document, queue_schemas, queue_size, review_queue
from curator.store.models import LabelStatus

PRIORITY = {0: "conflict", 1: "unsure teacher value", 2: "other", None: "-"}
PAGE = 50
STATUSES = [LabelStatus.NEEDS_REVIEW, LabelStatus.AUTO_ACCEPTED, LabelStatus.PRE_ANNOTATED, LabelStatus.APPROVED,
            LabelStatus.REJECTED]


def current_filter() -> QueueFilter:
    return st.session_state.get("queue_filter", QueueFilter())


def render() -> None:
    me = actor()
    st.header("Review queue")
    if st.session_state.get("flash"):
        st.info(st.session_state.pop("flash"))
    with st.expander("Filters", expanded=False):
        statuses = st.multiselect("Status", STATUSES, default=[LabelStatus.NEEDS_REVIEW], key="filter_status")
        document_class = st.selectbox("Document class", ["(any)", "invoice", "w2"], key="filter_class")
        conflicts_only = st.checkbox("Only documents with conflicts", key="filter_conflicts")
        conflict_field = st.text_input("Field in conflict (e.g. total, employee.ssn)", key="filter_field")
        source = st.selectbox("Has a value from", ["(any)", *SOURCES], key="filter_source")
        reason = st.selectbox("Why it needs review", ["(any)", *REASONS], key="filter_reason")
        schema_name = st.selectbox("Schema", ["(any)", *queue_schemas(workspace(), me)], key="filter_schema")
    filters = QueueFilter(statuses=tuple(statuses) or (LabelStatus.NEEDS_REVIEW,),
                          document_class=None if document_class == "(any)" else document_class,
                          reason=None if reason == "(any)" else reason,
                          schema_name=None if schema_name == "(any)" else schema_name,
                          conflicts_only=conflicts_only, conflict_field=conflict_field.strip() or None,
                          source=None if source == "(any)" else source)
    st.session_state["queue_filter"] = filters
    total = queue_size(workspace(), me, filters)
    pages = max(1, -(-total // PAGE))
    page = st.number_input(f"Page (of {pages})", 1, pages, 1, key="queue_page") if pages > 1 else 1
    items = review_queue(workspace(), me, filters, limit=PAGE, offset=(page - 1) * PAGE)
    st.caption(f"{total:,} documents with these statuses; {len(items)} shown from number "
               f"{(page - 1) * PAGE + 1}, in review order")
    if me.can("edit"):
        if st.button("Start reviewing (next document)", type="primary", key="start", shortcut="Alt+N"):
            item = next_document(workspace(), me, filters)
            if item is None:
                st.info("Nothing left to review with these filters.")
            else:
                go("Review", label_id=item.label_id, visited=[item.label_id])
                st.rerun()
    if not items:
        st.info("The queue is empty.")
        return
    table = pd.DataFrame([{"open": f"?doc={i.document}", "label": i.label_id, "file": i.file_name,
                           "class": i.document_class, "status": i.status,
                           "priority": PRIORITY.get(i.priority, i.priority), "why": ", ".join(i.reasons),
                           "confidence": None if i.score is None else round(i.score, 2),
                           "conflicts": ", ".join(i.conflicts)} for i in items])
    # Each row links to its document (?doc=<sha256>): a link a reviewer can also share.
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"open": st.column_config.LinkColumn("open", display_text="open")})
    choice = st.selectbox("Open document", [i.label_id for i in items],
                          format_func=lambda lid: next(f"{i.file_name} (label {lid})" for i in items
                                                       if i.label_id == lid), key="open_choice")
    if st.button("Open", key="open"):
        go("Review", label_id=choice, visited=[choice])
        st.rerun()
