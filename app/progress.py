"""A stage's progress as a Streamlit bar (the CLI shows the same hooks as a rich bar)."""

from __future__ import annotations


class StreamlitProgress:
    """Feeds a ``st.progress`` bar from a stage's ProgressHook calls; redrawn at most every 1%."""

    def __init__(self, bar) -> None:
        self._bar = bar
        self._total = 0
        self._done = 0
        self._shown = -1
        self._description = ""

    def start(self, total: int | None, description: str) -> None:
        self._total, self._done, self._description = total or 0, 0, description
        self._bar.progress(0.0, text=description)

    def advance(self, steps: int = 1) -> None:
        self._done += steps
        if not self._total:
            return
        percent = min(100, self._done * 100 // self._total)
        if percent != self._shown:
            self._shown = percent
            self._bar.progress(percent / 100, text=f"{self._description}: {self._done:,} of {self._total:,}")
