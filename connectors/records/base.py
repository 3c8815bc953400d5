"""What record sources yield besides rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read: where it is and why."""

    location: str
    row: int
    reason: str
    raw: str = ""
