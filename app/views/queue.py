"""The queue: what needs review, most urgent first, with filters; start or open a document."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.progress import StreamlitProgress
from app.state import actor, go, workspace
from curator.review.queue import (
    REASONS,
    SOURCES,
    QueueFilter,
    next_document,
    queue_schemas,
    queue_size,
    review_queue,
)
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
    table = pd.DataFrame([{"open": f"?doc={i.document}", "file": i.file_name, "label": i.label_id,
                           "class": i.document_class, "status": i.status,
                           "priority": PRIORITY.get(i.priority, i.priority), "why": ", ".join(i.reasons),
                           "confidence": None if i.score is None else round(i.score, 2),
                           "conflicts": ", ".join(i.conflicts)} for i in items])
    st.caption("Click a row to open its document (each row's link, ?doc=<sha256>, can be shared).")
    # A click on a row selects it (a cell of it, or its marker); the run that follows opens that document. The table gets a
    # new key after each opening, so coming back to the queue never finds the old selection.
    shown = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                         selection_mode=["single-row", "single-cell"],
                         key=f"queue_rows:{st.session_state.get('queue_opened', 0)}",
                         column_config={"open": st.column_config.LinkColumn("open", display_text="open")})
    selection = shown.selection if shown is not None else {}
    # A click on any cell (or on the row's marker) opens that row's document.
    selected = list(selection.get("rows", [])) + [cell[0] for cell in selection.get("cells", [])]
    if selected:
        chosen = items[selected[0]].label_id
        st.session_state["queue_opened"] = st.session_state.get("queue_opened", 0) + 1
        go("Review", label_id=chosen, visited=[chosen])
        st.rerun()
    if me.can("manage_review"):
        _admin(me, filters)


def _admin(me, filters: QueueFilter) -> None:
    """Bulk actions for admins: approve what two sources agree on, hand documents to someone else."""
    from curator.review.bulk import approve_agreeing, lease_holders, reassign_leases
    from curator.review.users import list_users

    with st.expander("Admin: bulk actions", expanded=False):
        st.markdown("**Approve where the ERP and the teacher agree on every field** (nothing in conflict, "
                    "suspect or unknown; documents a reviewer holds are left alone).")
        if st.button("Count them", key="bulk_preview"):
            preview = approve_agreeing(workspace(), me, schema_name=filters.schema_name, dry_run=True)
            reasons = ", ".join(f"{count} with {why}" for why, count in preview.not_qualified.items())
            st.session_state["bulk_ready"] = (preview.approved, f"{preview.approved} of {preview.looked_at} labels "
                                              f"qualify; the others: {reasons or 'none'}")
        ready, summary = st.session_state.get("bulk_ready", (0, ""))
        if summary:
            st.caption(summary)
        if ready:
            if st.checkbox(f"Yes, approve these {ready} labels", key="bulk_confirm") and \
                    st.button("Approve them", type="primary", key="bulk_approve"):
                bar = st.progress(0.0, text="approving")
                report = approve_agreeing(workspace(), me, schema_name=filters.schema_name,
                                          progress=StreamlitProgress(bar))
                st.session_state.pop("bulk_ready", None)
                st.success(f"Approved {report.approved} labels.")
        holders = lease_holders(workspace(), me)
        st.markdown("**Documents held by reviewers**")
        if not holders:
            st.caption("nobody holds a document right now")
            return
        st.dataframe(pd.DataFrame([{"reviewer": name, "documents": count} for name, count in holders.items()]),
                     hide_index=True)
        columns = st.columns(3)
        who = columns[0].selectbox("Move the documents of", list(holders), key="lease_from")
        editors = [u["name"] for u in list_users(workspace()) if u["active"] and u["role"] != "viewer"
                   and u["name"] != who]
        to = columns[1].selectbox("to", ["(back to the queue)", *editors], key="lease_to")
        if columns[2].button("Move", key="lease_move"):
            moved = reassign_leases(workspace(), me, who, None if to == "(back to the queue)" else to)
            st.success(f"{moved} documents moved.")
