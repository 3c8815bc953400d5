"""What record sources yield: rows, and rows that could not be read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Row:
    """One row of a source: its place there (line, sheet row, position in the feed) and its values."""

    number: int
    data: dict[str, Any]


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read: where it is and why."""

    location: str
    row: int
    reason: str
    raw: str = ""


@runtime_checkable
class DeltaSource(Protocol):
    """A source that can pull only what changed since a high-water mark.

    The records stage keeps ``bookmark``'s value in the store: before a pull it sets ``since``
    from it; after the pull it stores ``max_seen``, the newest change among the rows it stored.
    """

    bookmark: str | None  # the name the high-water mark is kept under (None: no delta pulls)
    since: str | None
    max_seen: str | None
