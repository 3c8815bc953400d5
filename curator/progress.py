"""Progress reporting that stages call without knowing who is watching.

The CLI plugs in a rich progress bar, the UI a Streamlit bar, tests nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class ProgressHook(Protocol):
    def start(self, total: int | None, description: str) -> None: ...
    def advance(self, steps: int = 1) -> None: ...


class SilentProgress:
    def start(self, total: int | None, description: str) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


class RichProgress:
    def __init__(self, progress) -> None:  # a rich.progress.Progress
        self._progress = progress
        self._task = None

    def start(self, total: int | None, description: str) -> None:
        self._task = self._progress.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, steps)


@contextmanager
def rich_progress(enabled: bool = True) -> Iterator[ProgressHook]:
    if not enabled:
        yield SilentProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        yield RichProgress(progress)
