"""One document: page images beside every schema field, with provenance, conflicts, history.

Widget keys carry the label's version, so after any save the form shows what is stored now.
"""

from __future__ import annotations

import base64
import html

import pandas as pd
import streamlit as st

from app.state import actor, go, workspace
from app.views.keys import commit_typing_before_shortcuts, open_at_top, shortcut_sheet
from app.views.queue import current_filter
from curator.labels.paths import schema_at
from curator.review.editing import (
    LabelView,
    ReviewRefused,
    StaleVersion,
    history,
    open_label,
    save_label,
)
from curator.review.leases import LeaseHeld, release
from curator.review.queue import next_document
from curator.review.tables import parse_pasted_rows
from curator.review.users import PermissionDenied
from curator.review.values import coerce, display
from curator.schemas.registry import schema_for
from curator.text import plain

SOURCE_BADGE = {"erp": "ERP", "teacher": "teacher", "human": "human", "rule": "rule", None: "empty"}


def _base_version(view: LabelView) -> int:
    """The version the reviewer opened (or last saved): saves are checked against it, so a
    change someone else made meanwhile is refused instead of silently overwritten."""
    base = st.session_state.get("base")
    if not base or base[0] != view.label_id:
        _fill_form(view)
        base = st.session_state["base"]
    return base[1]


def _fill_form(view: LabelView) -> None:
    """Put a label's values into the form, under keys of this document and version; the boxes
    (and table editors) of the document or version shown before are dropped."""
    for key in [key for key in st.session_state if str(key).startswith("f:")]:
        del st.session_state[key]
    for field in view.fields:
        st.session_state[_field_key(view.label_id, view.version, field.path)] = display(field.value)
    st.session_state["base"] = (view.label_id, view.version)
    st.session_state["resolved"] = {}
    for key in [key for key in st.session_state if str(key).startswith("table:")]:
        del st.session_state[key]  # tables shaped on another document (or version)


def _field_key(label_id: int, version: int, path: str) -> str:
    # One widget per document, version and field: a box the browser still shows from the
    # previous document can never send its text into the next one.
    return f"f:{label_id}:{version}:{path}"


def _key(view: LabelView, path: str) -> str:
    base = st.session_state.get("base")
    version = base[1] if base and base[0] == view.label_id else view.version
    return _field_key(view.label_id, version, path)


def _drawn_for(label_id: int, version: int) -> bool:
    """A control acts only on the document (and version) it was drawn for; one left on screen
    from the previous document says so and changes nothing."""
    if st.session_state.get("label_id") != label_id or st.session_state.get("base") != (label_id, version):
        st.session_state["flash_error"] = "That button belonged to the document shown before: nothing was changed."
        return False
    return True


def _take(label_id: int, version: int, key: str, text: str, resolved_key: str, path: str, source: str) -> None:
    """A candidate's value into the field -- only on the document (and version) the button was
    drawn for: a button left on screen from the previous document changes nothing."""
    if not _drawn_for(label_id, version):
        return
    st.session_state[key] = text
    st.session_state.setdefault(resolved_key, {})[path] = source


def _absent_key(view: LabelView, path: str) -> str:
    return f"absent:{view.label_id}:{view.version}:{path}"  # one document and version: never carried over


def _provenance(field) -> str:
    """Where the value came from, shown in the field's label (one element per field, not two)."""
    if field.state == "unknown":
        return "❓ unknown: nobody has looked yet"
    if field.state == "absent":
        return plain(f"absent (not on the document) · {SOURCE_BADGE.get(field.source, field.source)}"
                     + (f" {field.agent}" if field.agent and field.source == "human" else ""))
    parts = [SOURCE_BADGE.get(field.source, field.source)]
    if field.agent and field.source not in ("erp", None):
        parts.append(field.agent)
    if field.confidence is not None:
        parts.append(f"{field.confidence:.2f}")
    text = plain(" ".join(parts))
    if field.conflict:
        text += " · ⚠ conflict"
    if field.suspect:
        text += " · ⚠ not found in the document"
    return text


def _load(me, label_id: int) -> tuple[LabelView | None, str | None]:
    try:
        return open_label(workspace(), me, label_id, claim_lease=me.can("edit")), None
    except LeaseHeld as exc:
        return open_label(workspace(), me, label_id, claim_lease=False), str(exc)


MAX_STACKED_PAGES = 6  # more pages than this: one at a time, with a page picker


def _pages(view: LabelView) -> None:
    if view.pages_withheld:
        st.info("Page images are not shown to viewers: the page prints values that are masked for you.")
        return
    if not view.pages:
        st.info("no page images")
        return
    zoom = st.slider("Zoom %", 40, 250, 100, step=10, key="zoom",  # kept across documents
                     help="Or the mouse wheel over the page; drag to pan. Focusing a field outlines where the page "
                          "shows it.")
    numbers = list(range(1, len(view.pages) + 1))
    if len(view.pages) > MAX_STACKED_PAGES:
        numbers = [st.number_input("Page", 1, len(view.pages), 1, key=f"page:{view.label_id}")]
    st.html(page_viewer(view, numbers, zoom))
    st.caption(f"{len(view.pages)} page{'s' if len(view.pages) > 1 else ''}"
               + (" · outlined: where the page shows each value (dashed: nearest text to a value it does not show)"
                  if any(f.evidence for f in view.fields) else ""))


def page_viewer(view: LabelView, numbers: list[int], zoom: int) -> str:
    """The pages, stacked in a box of the column's width that scrolls (zoomed in, the page pans
    instead of covering the form), with each field's evidence box drawn over its page.

    Inline, inside this logged-in session's own messages: a media URL of Streamlit's would
    answer anyone who has the link, cookie or not. Every text that comes from data (field
    paths) is escaped: the markup is ours alone. Drawn with ``st.html`` (sanitised, put into the
    page as is), not ``st.markdown``: the browser parsed the image's 100 KB of base64 as markdown
    on every rerun, which cost "Approve & next" about 90 ms at p95.
    """
    parts = [f'<div class="curator-viewer" style="overflow:auto;max-width:100%;max-height:85vh;cursor:grab">'
             f'<div class="curator-pages" style="width:{int(zoom)}%">']
    for number in numbers:
        source = _page_source(view.pages[number - 1].key)
        boxes = []
        for field in view.fields:
            evidence = field.evidence or {}
            bbox = evidence.get("bbox")
            if evidence.get("page") != number or not bbox or len(bbox) != 4:
                continue
            x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in bbox)
            style = "dashed #d97706" if evidence.get("nearest") else "solid #2563eb"
            path = html.escape(field.path, quote=True)
            boxes.append(f'<div class="curator-box" data-field="{path}" title="{path}" style="position:absolute;'
                         f'left:{x0 * 100:.2f}%;top:{y0 * 100:.2f}%;width:{(x1 - x0) * 100:.2f}%;'
                         f'height:{(y1 - y0) * 100:.2f}%;border:2px {style};opacity:.25;pointer-events:none;'
                         f'box-sizing:border-box;margin:-2px"></div>')
        parts.append(f'<div class="curator-page-wrap" data-page="{number}" style="position:relative;margin-bottom:8px">'
                     f'<img class="curator-page" alt="page {number}" draggable="false" '
                     f'src="{html.escape(source, quote=True)}" style="width:100%;display:block">{"".join(boxes)}</div>')
    parts.append("</div></div>")
    return "".join(parts)


def _page_source(key: str) -> str:
    """The page's ``src``: inline bytes, or (``[review] page_images = "presigned"`` with the blobs in
    S3) a short-lived link the browser fetches from S3 itself."""
    ws = workspace()
    blobs = ws.blobs
    if ws.config.review.page_images == "presigned" and hasattr(blobs, "presigned_url"):
        return _presigned(blobs.url, key)
    return "data:image/png;base64," + _inline_image(blobs.url, key)


@st.cache_data(ttl=300, max_entries=512, show_spinner=False)
def _presigned(store: str, key: str) -> str:
    """A link valid for 10 minutes, reused for 5: the browser caches the image under one URL
    while the reviewer stays on the document, and every link handed out still has 5 minutes."""
    return workspace().blobs.presigned_url(key, seconds=600)


@st.cache_data(max_entries=64, show_spinner=False)
def _inline_image(store: str, key: str) -> str:
    """A page's bytes as base64 (pages are stored as PNG), read through the blob store (a folder
    or S3): cached by the store and the page's content-addressed key."""
    return base64.b64encode(workspace().blobs.get(key)).decode("ascii")


def _choices(field) -> list[str] | None:
    """The values a field may take, as the form shows them, for enums and booleans."""
    if field.enum:
        return ["", *(display(value) for value in field.enum if value is not None)]
    if field.types and set(field.types) <= {"boolean", "null"}:
        return ["", "yes", "no"]  # as display() writes booleans; coerce() reads them back
    return None


def _placeholder(field) -> str | None:
    if field.fmt == "date":
        return "YYYY-MM-DD"
    if set(field.types) & {"number", "integer"}:
        return "a number, e.g. 1234.56"
    return None


def _scalar_fields(view: LabelView, disabled: bool, inline_errors: dict[str, str]) -> None:
    resolved_key = "resolved"
    # What needs a person comes first: conflicts, then suspect values, then unsure ones.
    ordered = sorted(view.fields, key=lambda f: (not f.conflict, not f.suspect, f.state != "unknown",
                                                 (f.confidence if f.confidence is not None else 1.0) >= 0.9))
    for field in ordered:
        if any(field.path.startswith(f"{array}[") for array in view.arrays):
            continue
        key = _key(view, field.path)
        label = f"{plain(field.path)} — {_provenance(field)}"
        help_text = plain(field.hint) if field.hint else None
        choices = _choices(field)
        if choices is not None:  # the schema's enum (or a boolean): pick, never misspell
            current = st.session_state.get(key, "")
            options = choices if current in choices else [*choices, current]
            st.selectbox(label, options, key=key, help=help_text, disabled=disabled,
                         format_func=lambda option: option if option else "— (not set)")
        else:
            st.text_input(label, key=key, help=help_text, disabled=disabled, placeholder=_placeholder(field))
        # "Absent" is a decision with its own control; an empty box alone stays unknown.
        st.checkbox("not on the document", key=_absent_key(view, field.path), value=field.state == "absent",
                    disabled=disabled)
        taken = st.session_state.get(resolved_key, {}).get(field.path)
        if field.conflict and not disabled:
            buttons = st.container(horizontal=True)  # one block for the row, not one per button
            for index, candidate in enumerate(field.candidates):
                text = display(candidate["value"])
                source = SOURCE_BADGE.get(candidate["source"], candidate["source"])
                buttons.button(f"Take {plain(source)}: {plain(text)}",
                               key=f"take:{view.label_id}:{view.version}:{field.path}:{index}", on_click=_take,
                               args=(view.label_id, _base_version(view), key, text, resolved_key, field.path,
                                     source))
            if taken:
                st.success(f"conflict resolved: {plain(taken)} value taken", icon="✅")
        if field.suspect and (field.evidence or {}).get("nearest"):
            st.caption(f"the nearest similar text is outlined (dashed) on page {int(field.evidence['page'])}")
        error = None if taken else inline_errors.get(field.path) or field.error
        if error:
            st.error(plain(error), icon="⚠️")


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


def _table_state(label_id: int, version: int, array: str, original: pd.DataFrame | None = None) -> dict:
    """The rows of one table as the reviewer shaped them (added, pasted, removed) and the
    generation of its editor: the editor holds typed cells as a delta of the rows it was drawn
    with, so after a change of rows it gets a new key and the delta starts over."""
    key = f"table:{label_id}:{version}:{array}"
    if key not in st.session_state:
        st.session_state[key] = {"rows": (original if original is not None else pd.DataFrame()).astype(str),
                                 "generation": 0}
    return st.session_state[key]


def _editor_key(label_id: int, version: int, array: str, generation: int) -> str:
    return f"f:{label_id}:{version}:{array}[]:{generation}"


def current_table(label_id: int, version: int, array: str, original: pd.DataFrame) -> pd.DataFrame:
    """The table as on screen now: the shaped rows with the cells typed since."""
    state = _table_state(label_id, version, array, original)
    return _edited_frame(state["rows"], st.session_state.get(_editor_key(label_id, version, array,
                                                                        state["generation"])))


def _change_rows(label_id: int, version: int, array: str, operation: str) -> None:
    """Add an empty row, remove the last one, or add pasted rows -- on the document (and
    version) the control was drawn for only."""
    if not _drawn_for(label_id, version):
        return
    state = _table_state(label_id, version, array)
    frame = current_table(label_id, version, array, state["rows"])
    columns = list(frame.columns)
    if operation == "add":
        frame = pd.concat([frame, pd.DataFrame([{c: "" for c in columns}])], ignore_index=True)
    elif operation == "remove":
        frame = frame.iloc[:-1]
    elif operation == "paste":
        paste_key = f"paste:{label_id}:{version}:{array}"
        try:
            rows = parse_pasted_rows(st.session_state.get(paste_key, ""), columns)
        except ValueError as exc:
            st.session_state["flash_error"] = f"{array}: {exc}"
            return
        frame = pd.concat([frame, pd.DataFrame(rows, columns=columns)], ignore_index=True)
        st.session_state[paste_key] = ""
        st.session_state["flash"] = f"{len(rows)} rows added to {array}"
    state["rows"] = frame.reset_index(drop=True).astype(str)
    state["generation"] += 1


def _array_fields(view: LabelView, disabled: bool) -> None:
    """Tables (line items, W-2 state rows) across the page's full width, columns in schema order."""
    version = _base_version(view)
    for array, original in _array_frames(view).items():
        state_key = f"table:{view.label_id}:{version}:{array}"
        if original.empty and state_key not in st.session_state and not st.toggle(
                f"{array}: none yet — add rows", key=f"add:{state_key}", disabled=disabled):
            continue  # the grid is the page's heaviest element: only drawn when there is something
        state = _table_state(view.label_id, version, array, original)
        st.markdown(f"**{plain(array)}** — {len(state['rows'])} rows")
        st.data_editor(state["rows"], num_rows="fixed" if disabled else "dynamic", disabled=disabled,
                       key=_editor_key(view.label_id, version, array, state["generation"]), width="stretch",
                       hide_index=True, column_order=list(original.columns),
                       column_config={column: st.column_config.TextColumn(column, width="medium")
                                      for column in original.columns})
        if disabled:
            continue
        first = array == next(iter(view.arrays))  # one table owns the shortcuts; the others use the buttons
        buttons = st.container(horizontal=True, vertical_alignment="center")
        buttons.button("Add row", key=f"row_add:{state_key}", on_click=_change_rows,
                       args=(view.label_id, version, array, "add"), shortcut="Alt+I" if first else None,
                       help="Alt+I (first table)" if first else None)
        buttons.button("Remove last row", key=f"row_remove:{state_key}", on_click=_change_rows,
                       args=(view.label_id, version, array, "remove"), disabled=state["rows"].empty,
                       shortcut="Alt+Delete" if first else None, help="Alt+Delete (first table)" if first else None)
        # The paste box is drawn only when asked for: every element costs each rerun of the page.
        if buttons.toggle("Paste rows from a spreadsheet", key=f"paste_open:{state_key}"):
            st.text_area("Tab-separated rows (a first line of column names is recognised)",
                         key=f"paste:{view.label_id}:{version}:{array}", height=120)
            st.button("Add pasted rows", key=f"row_paste:{state_key}", on_click=_change_rows,
                      args=(view.label_id, version, array, "paste"))


def collect_changes(view: LabelView, edited_arrays: dict[str, pd.DataFrame]) -> tuple[dict, list, dict]:
    """What the reviewer changed, typed by the schema; errors by field for what cannot be read."""
    schema = schema_for(workspace(), view.schema_name)
    resolved = st.session_state.get("resolved", {})
    changes, errors = {}, {}
    for field in view.fields:
        key = _key(view, field.path)
        if key not in st.session_state:
            continue
        text = st.session_state[key]
        absent = st.session_state.get(_absent_key(view, field.path), field.state == "absent")
        if absent and field.state != "absent":
            if text.strip() and text != display(field.value):
                errors[field.path] = "a value and 'not on the document' at once: clear one"
            else:
                changes[field.path] = None  # decided: the document does not show it
            continue
        if not absent and field.state == "absent" and not text.strip():
            errors[field.path] = "no longer absent: type the value the document shows"
            continue
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
    commit_typing_before_shortcuts()
    view, held = _load(me, label_id)
    _base_version(view)  # a new document (or a reload) fills the form before any widget is drawn
    disabled = not view.editable or held is not None
    st.header(plain(view.file_name or view.document[:12]))
    open_at_top(view.label_id)
    st.caption(f"{plain(view.document_class or 'unknown class')} · status **{view.status}** · version {view.version}"
               + (f" · confidence {view.score:.2f}" if view.score is not None else ""))
    if held:
        st.warning(plain(held))
    elif view.version != _base_version(view):
        st.warning("This document changed since you opened it; saving will be refused. Reload to see the changes.")
        if st.button("Reload", key="reload"):
            st.session_state.pop("base", None)
            st.rerun()
    elif not me.can("edit"):
        st.info("Read only (viewer): sensitive values are masked.")
    if st.session_state.get("flash"):
        st.toast(st.session_state.pop("flash"), icon="✅")  # out of the page flow: nothing below moves
    if st.session_state.get("flash_error"):
        st.error(plain(st.session_state.pop("flash_error")))
    if view.problems:
        st.error("Schema: " + plain("; ".join(view.problems[:5])))
    inline_errors = st.session_state.pop(f"errors:{view.label_id}", {})
    left, right = st.columns([1, 1])
    with left:
        _pages(view)
    with right:
        _scalar_fields(view, disabled, inline_errors)
    _array_fields(view, disabled)  # tables take the page's full width: every column in sight
    if not disabled:
        _actions(me, view)
    navigation = st.container(horizontal=True)
    visited = st.session_state.get("visited", [])
    if label_id in visited and visited.index(label_id) > 0 and navigation.button("Previous", key="previous",
                                                                                  shortcut="Alt+P"):
        go("Review", label_id=visited[visited.index(label_id) - 1])
        st.rerun()
    if navigation.button("Back to queue", key="to_queue"):
        if me.can("edit"):
            release(workspace(), me, label_id)
        go("Queue")
        st.rerun()
    if st.toggle("History", key="show_history"):  # read only when asked for: it is not free
        events = history(workspace(), me, label_id)
        if events:
            st.dataframe(pd.DataFrame(events).astype(str), hide_index=True, width="stretch")
        else:
            st.caption("no changes yet")


def _refuse(message: str, view: LabelView, errors: dict[str, str] | None = None) -> None:
    """Keep why nothing was saved (and which fields) for the run that follows the callback."""
    st.session_state["flash_error"] = message
    if errors:
        st.session_state[f"errors:{view.label_id}"] = errors


def _edited_frame(frame: pd.DataFrame, delta: dict | None) -> pd.DataFrame:
    """A data editor's state is a delta (edited, added, deleted rows): apply it to the original."""
    if not delta:
        return frame
    rows = frame.astype(str).to_dict("records")
    for index, edits in delta.get("edited_rows", {}).items():
        rows[int(index)].update({k: "" if v is None else str(v) for k, v in edits.items()})
    for added in delta.get("added_rows", []):
        rows.append({column: "" if added.get(column) is None else str(added.get(column)) for column in frame.columns})
    deleted = {int(i) for i in delta.get("deleted_rows", [])}
    return pd.DataFrame([row for i, row in enumerate(rows) if i not in deleted], columns=frame.columns)


def _on_action(action: str, advance: bool) -> None:
    """Runs as the button's callback, before the page is drawn: the save (and the move to the
    next document) costs one run of the page instead of two."""
    me = actor()
    view = open_label(workspace(), me, st.session_state["label_id"], claim_lease=False)
    version = _base_version(view)
    edited = {array: current_table(view.label_id, version, array, frame)
              for array, frame in _array_frames(view).items()}
    changes, removed, errors = collect_changes(view, edited)
    if errors:
        return _refuse("Not saved: some values cannot be read: " + ", ".join(sorted(errors)), view, errors)
    try:
        saved = save_label(workspace(), me, view.label_id, base_version=_base_version(view), changes=changes,
                           action=action, reason=st.session_state.get(f"reason:{view.label_id}"),
                           removed_paths=removed)
    except StaleVersion as exc:
        st.session_state.pop("base", None)  # show the stored version on the next run
        return _refuse(f"Not saved: {exc}", view)
    except ReviewRefused as exc:
        return _refuse(f"Not saved: {exc}", view, exc.field_errors)
    except (LeaseHeld, PermissionDenied) as exc:
        return _refuse(f"Not saved: {exc}", view)
    _fill_form(saved)
    st.session_state["flash"] = {"approve": "Approved.", "reject": "Rejected.", "draft": "Draft saved."}[action]
    if action in ("approve", "reject") or advance:
        _advance(me)


def _actions(me, view: LabelView) -> None:
    buttons = st.container(horizontal=True)  # one block for the row: every block costs each document's redraw
    buttons.button("Save draft", key="save", shortcut="Alt+S", on_click=_on_action, args=("draft", False))
    buttons.button("Save & next", key="save_next", shortcut="Alt+N", on_click=_on_action, args=("draft", True))
    buttons.button("Approve & next", key="approve", type="primary", shortcut="Alt+A",
                   disabled=not me.can("approve"), on_click=_on_action, args=("approve", True))
    buttons.button("Reject", key="reject", shortcut="Alt+J", disabled=not me.can("approve"), on_click=_on_action,
                   args=("reject", True))
    buttons.button("Skip", key="skip", shortcut="Alt+K", on_click=_on_skip, help="next document, nothing saved")
    st.text_input("Reason (to reject)", key=f"reason:{view.label_id}")
    shortcut_sheet()


def _on_skip() -> None:
    """Leave this document to someone else (its lease is released) and open the next one."""
    me = actor()
    label_id = st.session_state["label_id"]
    release(workspace(), me, label_id)
    visited = st.session_state.setdefault("visited", [])
    if label_id not in visited:
        visited.append(label_id)  # so the next document is another one
    st.session_state["flash"] = "Skipped."
    _advance(me)
