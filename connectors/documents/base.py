"""The unit a document source yields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class SourceFile:
    """A file at a source, not yet read.

    ``name`` and ``relative_path`` are exactly what the source reported, hostile
    characters included: ingest judges them, the source does not clean them.
    ``modified`` is a change stamp (mtime or ETag) used to skip unchanged files on re-runs.
    ``local_path`` is set when the bytes already sit on this machine, so workers can read
    them directly instead of receiving a copy.
    """

    uri: str
    name: str
    relative_path: str
    size: int
    modified: str
    local_path: Path | None = None
    problem: str | None = None
    problem_reason: str = "unsafe_name"  # the quarantine's reason code when ``problem`` is set
    opener: Callable[[], BinaryIO] | None = field(default=None, compare=False, repr=False)

    def open(self) -> BinaryIO:
        if self.local_path is not None:
            return open(self.local_path, "rb")
        if self.opener is None:
            raise OSError(f"{self.uri}: no way to read this file")
        return self.opener()
