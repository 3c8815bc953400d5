"""Keyboard shortcuts save what is on screen.

Streamlit commits a text box only on Enter or when it loses focus, and its button shortcuts
(Alt+S, Alt+N, Alt+A, Alt+P) fire without either: typing "2018-04-28QQ" and pressing Alt+N at
once saved the document without "QQ". A capture-phase listener blurs the focused box first, so
its value is committed before the shortcut's click is sent with the other widgets' values.
Only Alt combinations: Ctrl+V and friends keep working inside the box. The same listener
gives Alt+X (the focused field is not on the document), Alt+1..9 (take suggestion N of the
focused field), Alt+G (next flagged field) and keeps one Tab stop per field. It also runs the
page viewer: focusing a field outlines its evidence box, the wheel zooms, dragging pans.
"""

from __future__ import annotations

import streamlit as st

_SCRIPT = """<script>
if (!window.__curatorCommitBeforeShortcut) {
  window.__curatorCommitBeforeShortcut = true;
  window.addEventListener("keydown", (event) => {
    const box = document.activeElement;
    if (!(event.altKey && event.key !== "Alt" && box && /^(INPUT|TEXTAREA)$/.test(box.tagName))) return;
    const field = box.closest('[data-testid="stElementContainer"]');
    if (/^Digit[1-9]$/.test(event.code)) {  // take suggestion N of the focused field's conflict
      const takes = [];
      for (let next = field && field.nextElementSibling; next; next = next.nextElementSibling) {
        if (next.querySelector('[data-testid="stTextInput"], [data-testid="stSelectbox"]')) break;
        next.querySelectorAll("button").forEach((b) => { if (b.innerText.startsWith("Take ")) takes.push(b); });
      }
      const take = takes[Number(event.code.slice(5)) - 1];
      if (take) { event.preventDefault(); event.stopPropagation(); take.click(); }
      return;
    }
    if (event.code === "KeyG") {  // the next flagged field (conflict, suspect or unknown), round the end
      const boxes = [...document.querySelectorAll(
          '[data-testid="stMain"] [data-testid="stTextInput"] input, [data-testid="stMain"] [data-testid="stSelectbox"] input')];
      const flagged = boxes.filter((b) => /[\u26a0\u2753]/.test(b.getAttribute("aria-label") || ""));
      const after = flagged.find((b) => boxes.indexOf(b) > boxes.indexOf(box)) || flagged[0];
      if (after) { event.preventDefault(); event.stopPropagation(); box.blur(); after.focus(); }
      return;
    }
    if (event.code === "KeyX") {  // the focused field is not on the document: tick its checkbox
      const next = field && field.nextElementSibling;
      const absent = next && next.querySelector('[data-testid="stCheckbox"] input');
      if (absent) { event.preventDefault(); event.stopPropagation(); box.blur(); absent.click(); }
      return;
    }
    box.blur();
  }, true);
  // One Tab stop per field: the help icons and the "not on the document" boxes (Alt+X) are
  // taken out of the Tab order; the mouse still reaches them.
  const quiet = () => document.querySelectorAll(
      '[data-testid="stMain"] [data-testid="stTooltipIcon"], [data-testid="stMain"] [data-testid="stTooltipIcon"] *, '
      + '[data-testid="stMain"] [aria-label^="Help for "], '
      + '[data-testid="stMain"] [data-testid="stCheckbox"] input').forEach((element) => {
        if (element.getAttribute("tabindex") !== "-1") element.setAttribute("tabindex", "-1");
      });
  // A rerun changes the page in hundreds of small steps (one per element): the observers do
  // their work once per frame, not once per step.
  const perFrame = (work) => { let queued = false; return () => {
    if (queued) return; queued = true; requestAnimationFrame(() => { queued = false; work(); }); }; };
  new MutationObserver(perFrame(quiet)).observe(document.body, {childList: true, subtree: true});
  quiet();
  // The page viewer: focusing a field outlines where the page shows its value and scrolls
  // the viewer to it (the page it is on, for a document of several pages). Also run when the
  // page is redrawn, for the field focused when the document opens.
  const outline = (box) => {
    if (!box || !/^(INPUT|TEXTAREA)$/.test(box.tagName)) return;
    const name = (box.getAttribute("aria-label") || "").split(" \u2014 ")[0];
    const mark = name && document.querySelector('.curator-box[data-field="' + CSS.escape(name) + '"]');
    if (mark && mark.classList.contains("curator-active")) return;
    document.querySelectorAll(".curator-box.curator-active").forEach((old) => {
      old.classList.remove("curator-active"); old.style.opacity = ".25"; old.style.borderWidth = "2px";
    });
    if (!mark) return;
    mark.classList.add("curator-active"); mark.style.opacity = "1"; mark.style.borderWidth = "3px";
    const viewer = mark.closest(".curator-viewer");
    if (viewer) {
      const at = mark.getBoundingClientRect(), frame = viewer.getBoundingClientRect();
      viewer.scrollTop += at.top - frame.top - frame.height / 3;
      viewer.scrollLeft += at.left - frame.left - frame.width / 4;
    }
  };
  window.addEventListener("focusin", (event) => outline(event.target), true);
  new MutationObserver(perFrame(() => outline(document.activeElement))).observe(document.body, {childList: true, subtree: true});
  // Mouse wheel over the page zooms it; dragging pans it.
  window.addEventListener("wheel", (event) => {
    const viewer = event.target.closest && event.target.closest(".curator-viewer");
    if (!viewer || event.ctrlKey) return;
    const pages = viewer.querySelector(".curator-pages");
    const now = parseFloat(pages.style.width) || 100;
    pages.style.width = Math.min(400, Math.max(40, now * (event.deltaY < 0 ? 1.1 : 1 / 1.1))) + "%";
    event.preventDefault();
  }, {passive: false, capture: true});
  let drag = null;
  window.addEventListener("mousedown", (event) => {
    const viewer = event.target.closest && event.target.closest(".curator-viewer");
    if (!viewer || event.button !== 0) return;
    drag = {viewer, x: event.clientX, y: event.clientY, left: viewer.scrollLeft, top: viewer.scrollTop};
    viewer.style.cursor = "grabbing";
    event.preventDefault();
  }, true);
  window.addEventListener("mousemove", (event) => {
    if (!drag) return;
    drag.viewer.scrollLeft = drag.left - (event.clientX - drag.x);
    drag.viewer.scrollTop = drag.top - (event.clientY - drag.y);
  }, true);
  window.addEventListener("mouseup", () => { if (drag) { drag.viewer.style.cursor = "grab"; drag = null; } }, true);
}
</script>"""


def commit_typing_before_shortcuts() -> None:
    """Install (once per browser tab) the listener that commits a focused text box on a shortcut."""
    st.html(_SCRIPT, unsafe_allow_javascript=True)


def open_at_top(label_id: int) -> None:
    """A new document opens at the top with its first field (the first flagged one) focused.

    Without it the next document kept the previous one's scroll position: approving at the
    bottom of a page opened the next one scrolled to the bottom, with no title, image or
    conflict in sight. The script is drawn only in the run that opens the document, so later
    reruns of the same document never steal the reviewer's focus; its slot is drawn on every
    run, or the elements below would shift and a stale copy of a button flash on screen.
    """
    slot = st.empty()  # always drawn: the elements below keep their places on every run
    if st.session_state.get("opened_at_top") == label_id:
        return
    st.session_state["opened_at_top"] = label_id
    slot.html(f"""<script>
(() => {{
  const document_ = {int(label_id)};  // one script per opened document
  const toTop = () => {{
    window.scrollTo(0, 0);
    document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"], section.main')
      .forEach((element) => {{ element.scrollTop = 0; }});
  }};
  let tries = 0, touched = false;
  // The reviewer's first click or key ends the settling: focus on a button they pressed is
  // theirs (taking it back and scrolling to the top swallowed the click's release).
  const stop = () => {{ touched = true; }};
  window.addEventListener("pointerdown", stop, {{capture: true, once: true}});
  window.addEventListener("keydown", stop, {{capture: true, once: true}});
  const focusFirst = () => {{
    if (touched) return;
    // Keep at it while the page settles: the previous document's boxes (and the button that
    // opened this one) are removed at the end of the run, and focus on them falls back to the page.
    const box = document.querySelector('[data-testid="stMain"] [data-testid="stTextInput"] input:not([disabled])');
    const active = document.activeElement;
    const lost = !active || !active.isConnected || !/^(INPUT|TEXTAREA)$/.test(active.tagName);
    if (box && lost) {{ box.focus({{preventScroll: true}}); toTop(); }}
    if (++tries < 60) setTimeout(focusFirst, 50);
  }};
  toTop();
  focusFirst();
}})();
</script>""", unsafe_allow_javascript=True)


SHEET = """| Keys | Does |
|---|---|
| Alt+S | save draft |
| Alt+N | save and open the next document |
| Alt+A | approve and open the next document |
| Alt+J | reject (type the reason first) |
| Alt+K | skip: next document, nothing saved |
| Alt+P | previous document |
| Alt+X | the focused field is not on the document |
| Alt+1 ... Alt+9 | take suggestion N for the focused field's conflict |
| Alt+G | go to the next flagged field (conflict, suspect, unknown) |
| Tab / Shift+Tab | next / previous field |

A shortcut pressed while typing saves what is in the box."""


def shortcut_sheet() -> None:
    """The shortcuts, where the reviewer can see them (our own text, no document data)."""
    with st.expander("Keyboard shortcuts"):
        st.markdown(SHEET)
