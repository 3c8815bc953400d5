"""Printing helpers shared by the commands: JSON for machines, rich tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from curator.text import for_terminal

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        # Cells are data from outside (file names, ERP values): shown as text, never as markup
        # or terminal control sequences.
        table.add_row(*("" if value is None else for_terminal(value) for value in row))
    console.print(table)


def fail(message: str, code: int = 2) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {for_terminal(message)}", markup=True, highlight=False)
    return typer.Exit(code)
