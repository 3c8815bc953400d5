"""Rows pasted into a table of the review form, as people copy them from a spreadsheet or a PDF viewer.

A spreadsheet puts tab-separated cells on the clipboard, one line per row. The first line may
be a header: when its cells are the table's column names (in any order, any case) the cells
are placed by name, otherwise by position in the schema's column order -- the order the form
shows. A row with more cells than the table has columns is refused with its line number:
guessing which cell to drop would put values in the wrong column.
"""

from __future__ import annotations

import csv
import io


def _normal(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def parse_pasted_rows(text: str, columns: list[str]) -> list[dict[str, str]]:
    """Tab-separated lines -> rows (column -> text); empty lines are skipped. ValueError names the line."""
    lines = [row for row in csv.reader(io.StringIO(text.strip("\n")), delimiter="\t") if any(c.strip() for c in row)]
    if not lines:
        return []
    by_name = {_normal(column): column for column in columns}
    order = columns
    header = [_normal(cell) for cell in lines[0]]
    if header and all(cell in by_name for cell in header if cell) and any(header):
        order = [by_name.get(cell, "") for cell in header]
        lines = lines[1:]
    rows = []
    for number, cells in enumerate(lines, start=1):
        while cells and not cells[-1].strip() and len(cells) > len(order):
            cells = cells[:-1]  # trailing empty cells a spreadsheet adds
        if len(cells) > len(order):
            raise ValueError(f"pasted row {number} has {len(cells)} cells, the table has {len(order)} columns "
                             f"({', '.join(c for c in order if c)}): nothing was added")
        row = {column: "" for column in columns}
        for column, cell in zip(order, cells):
            if column:
                row[column] = cell.strip()
        rows.append(row)
    return rows
