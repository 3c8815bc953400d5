"""One document: page images beside every schema field, with provenance, conflicts, history.

Widget keys carry the label's version, so after any save the form shows what is stored now.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from PIL import Image

from app.state import actor, go, workspace
from app.views.queue import current_filter
from curator.erp.paths import schema_at
from curator.review.editing import (LabelView, ReviewRefused, StaleVersion, history, open_label, save_label)
from curator.review.leases import LeaseHeld, release
from curator.review.queue import next_document
from curator.review.users import PermissionDenied
from curator.review.values import coerce, display
from curator.schemas import builtin_schema

SOURCE_BADGE = {"erp": "ERP", "teacher": "teacher", "human": "human", "rule": "rule", None: "empty"}


def _key(view: LabelView, path: str) -> str:
    return f"f:{view.label_id}:{view.version}:{path}"


def _take(key: str, text: str, resolved_key: str, path: str) -> None:
    st.session_state[key] = text
    st.session_state.setdefault(resolved_key, set()).add(path)


def _caption(field) -> str:
    parts = [SOURCE_BADGE.get(field.source, field.source)]
    if field.agent and field.source != "erp":
        parts.append(field.agent)
    if field.confidence is not None:
        parts.append(f"confidence {field.confidence:.2f}")
    if field.suspect:
        parts.append("not found in the document")
    return " · ".join(parts)


def _load(me, label_id: int) -> tuple[LabelView | None, str | None]:
    try:
        return open_label(workspace(), me, label_id, claim_lease=me.can("edit")), None
    except LeaseHeld as exc:
        return open_label(workspace(), me, label_id, claim_lease=False), str(exc)


def _pages(view: LabelView) -> None:
    if not view.pages:
        st.info("no page images")
        return
    columns = st.columns(2)
    page = columns[0].number_input("Page", 1, len(view.pages), 1, key=f"page:{view.label_id}") if len(
        view.pages) > 1 else 1
    zoom = columns[1].slider("Zoom %", 40, 250, 100, step=10, key=f"zoom:{view.label_id}")
    with Image.open(view.pages[page - 1]) as image:
        width = image.width
    st.image(str(view.pages[page - 1]), width=max(100, int(min(width, 760) * zoom / 100)),
             caption=f"page {page} of {len(view.pages)}")


def _scalar_fields(view: LabelView, disabled: bool, inline_errors: dict[str, str]) -> None:
    resolved_key = f"resolved:{view.label_id}:{view.version}"
    for field in view.fields:
        if any(field.path.startswith(f"{array}[") for array in view.arrays):
            continue
        key = _key(view, field.path)
        label = field.path + (" ⚠ conflict" if field.conflict else "")
        st.text_input(label, value=display(field.value), key=key, help=field.hint, disabled=disabled)
        st.caption(_caption(field))
        if field.conflict and not disabled:
            buttons = st.columns(len(field.candidates) or 1)
            for index, candidate in enumerate(field.candidates):
                text = display(candidate["value"])
                buttons[index].button(f"Take {SOURCE_BADGE.get(candidate['source'], candidate['source'])}: {text}",
                                      key=f"take:{key}:{index}", on_click=_take,
                                      args=(key, text, resolved_key, field.path))
        error = inline_errors.get(field.path) or field.error
        if error:
            st.error(error, icon="⚠️")


def _array_frames(view: LabelView) -> dict[str, pd.DataFrame]:
    frames = {}
    for array, subs in view.arrays.items():
        rows: dict[int, dict[str, str]] = {}
        for field in view.fields:
            if field.path.startswith(f"{array}["):
                index = int(field.path[len(array) + 1:].split("]")[0])
                sub = field.path.split("].", 1)[1]
                rows.setdefault(index, {s: "" for s in subs})[sub] = display(field.value)
        frames[array] = pd.DataFrame([rows[i] for i in sorted(rows)], columns=subs)
    return frames


def _array_fields(view: LabelView, disabled: bool) -> dict[str, pd.DataFrame]:
    edited = {}
    for array, frame in _array_frames(view).items():
        st.markdown(f"**{array}**")
        edited[array] = st.data_editor(frame.astype(str), num_rows="fixed" if disabled else "dynamic",
                                       key=_key(view, array + "[]"), disabled=disabled, width="stretch")
    return edited


def collect_changes(view: LabelView, edited_arrays: dict[str, pd.DataFrame]) -> tuple[dict, list, dict]:
    """What the reviewer changed, typed by the schema; errors by field for what cannot be read."""
    schema = builtin_schema(view.schema_name)
    resolved = st.session_state.get(f"resolved:{view.label_id}:{view.version}", set())
    changes, errors = {}, {}
    for field in view.fields:
        key = _key(view, field.path)
        if key not in st.session_state:
            continue
        text = st.session_state[key]
        if text == display(field.value) and field.path not in resolved:
            continue
        try:
            changes[field.path] = coerce(schema_at(schema, field.path), text)
        except ValueError as exc:
            errors[field.path] = str(exc)
    removed = []
    original_frames = _array_frames(view)
    for array, frame in edited_arrays.items():
        original = original_frames[array]
        for index in range(len(frame)):
            for sub in frame.columns:
                text = "" if pd.isna(frame.iloc[index][sub]) else str(frame.iloc[index][sub])
                before = str(original.iloc[index][sub]) if index < len(original) else None
                if text == before:
                    continue
                path = f"{array}[{index}].{sub}"
                try:
                    changes[path] = coerce(schema_at(schema, path), text)
                except ValueError as exc:
                    errors[path] = str(exc)
        for index in range(len(frame), len(original)):
            removed += [f"{array}[{index}].{sub}" for sub in original.columns]
    return changes, removed, errors


def _advance(me) -> None:
    visited = st.session_state.setdefault("visited", [])
    item = next_document(workspace(), me, current_filter(), skip=frozenset(visited))
    if item is None:
        st.session_state["flash"] = "Nothing left to review with these filters."
        go("Queue")
    else:
        visited.append(item.label_id)
        go("Review", label_id=item.label_id)


def render() -> None:
    me = actor()
    label_id = st.session_state.get("label_id")
    if label_id is None:
        st.info("Open a document from the queue.")
        return
    view, held = _load(me, label_id)
    disabled = not view.editable or held is not None
    st.header(view.file_name or view.document[:12])
    st.caption(f"{view.document_class or 'unknown class'} · status **{view.status}** · version {view.version}"
               + (f" · confidence {view.score:.2f}" if view.score is not None else ""))
    if held:
        st.warning(held)
    elif not me.can("edit"):
        st.info("Read only (viewer): sensitive values are masked.")
    if st.session_state.get("flash"):
        st.success(st.session_state.pop("flash"))
    if st.session_state.get("flash_error"):
        st.error(st.session_state.pop("flash_error"))
    if view.problems:
        st.error("Schema: " + "; ".join(view.problems[:5]))
    inline_errors = st.session_state.pop(f"errors:{view.label_id}", {})
    left, right = st.columns([1, 1])
    with left:
        _pages(view)
    with right:
        _scalar_fields(view, disabled, inline_errors)
        edited_arrays = _array_fields(view, disabled)
    if not disabled:
        _actions(me, view, edited_arrays)
    navigation = st.columns(2)
    visited = st.session_state.get("visited", [])
    if label_id in visited and visited.index(label_id) > 0 and navigation[0].button("Previous", key="previous",
                                                                                     shortcut="Alt+P"):
        go("Review", label_id=visited[visited.index(label_id) - 1])
        st.rerun()
    if navigation[1].button("Back to queue", key="to_queue"):
        if me.can("edit"):
            release(workspace(), me, label_id)
        go("Queue")
        st.rerun()
    with st.expander("History"):
        events = history(workspace(), me, label_id)
        if events:
            st.dataframe(pd.DataFrame(events).astype(str), hide_index=True, width="stretch")
        else:
            st.caption("no changes yet")


def _refuse(message: str, view: LabelView, errors: dict[str, str] | None = None) -> None:
    """Show why nothing was saved (and which fields), on a fresh run so the form shows it inline."""
    st.session_state["flash_error"] = message
    if errors:
        st.session_state[f"errors:{view.label_id}"] = errors
    st.rerun()


def _actions(me, view: LabelView, edited_arrays: dict[str, pd.DataFrame]) -> None:
    buttons = st.columns(4)
    draft = buttons[0].button("Save draft", key="save", shortcut="Alt+S")
    save_next = buttons[1].button("Save & next", key="save_next", shortcut="Alt+N")
    approve = buttons[2].button("Approve & next", key="approve", type="primary", shortcut="Alt+A",
                                disabled=not me.can("approve"))
    reason = st.text_input("Reason (to reject)", key=f"reason:{view.label_id}")
    reject = buttons[3].button("Reject", key="reject", disabled=not me.can("approve"))
    action = "approve" if approve else "reject" if reject else "draft" if (draft or save_next) else None
    if action is None:
        return
    changes, removed, errors = collect_changes(view, edited_arrays)
    if errors:
        _refuse("Not saved: some values cannot be read: " + ", ".join(sorted(errors)), view, errors)
    try:
        save_label(workspace(), me, view.label_id, base_version=view.version, changes=changes, action=action,
                   reason=reason, removed_paths=removed)
    except StaleVersion as exc:
        _refuse(f"Not saved: {exc}", view)
    except ReviewRefused as exc:
        _refuse(f"Not saved: {exc}", view, exc.field_errors)
    except (LeaseHeld, PermissionDenied) as exc:
        _refuse(f"Not saved: {exc}", view)
    st.session_state["flash"] = {"approve": "Approved.", "reject": "Rejected.", "draft": "Draft saved."}[action]
    if action in ("approve", "reject") or save_next:
        _advance(me)
    st.rerun()
