"""Keyboard shortcuts save what is on screen.

Streamlit commits a text box only on Enter or when it loses focus, and its button shortcuts
(Alt+S, Alt+N, Alt+A, Alt+P) fire without either: typing "2018-04-28QQ" and pressing Alt+N at
once saved the document without "QQ". A capture-phase listener blurs the focused box first, so
its value is committed before the shortcut's click is sent with the other widgets' values.
Only Alt combinations: Ctrl+V and friends keep working inside the box.
"""

from __future__ import annotations

import streamlit as st

_SCRIPT = """<script>
if (!window.__curatorCommitBeforeShortcut) {
  window.__curatorCommitBeforeShortcut = true;
  window.addEventListener("keydown", (event) => {
    const box = document.activeElement;
    if (event.altKey && event.key !== "Alt" && box && /^(INPUT|TEXTAREA)$/.test(box.tagName)) {
      box.blur();
    }
  }, true);
}
</script>"""


def commit_typing_before_shortcuts() -> None:
    """Install (once per browser tab) the listener that commits a focused text box on a shortcut."""
    st.html(_SCRIPT, unsafe_allow_javascript=True)
