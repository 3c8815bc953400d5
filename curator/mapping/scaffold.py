"""A first mapping written from an ERP export: columns paired with schema fields.

Writing the first mapping by hand means reading hundreds of column names. The scaffold pairs
each schema field with the column whose name is closest (rapidfuzz, on the field's path and
the column's name as words: ``supplier.vat_id`` ~ ``SUPPLIER_VAT_ID``), reads the columns'
values to choose the transform (``20190315`` is a date in ``%Y%m%d``, ``1.234,56`` an amount
with a decimal comma), proposes the natural key (a column unique in every row, preferring one
named like a number or id), and leaves each field it could not pair as a commented TODO. The
result runs as it is; the user refines it.

>>> text = mapping_scaffold(schema, "purchase_order", source)
>>> print(text)     # TOML, for curator/mappings or the user's repository
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from rapidfuzz import fuzz

from connectors.records import RecordSource, Row
from curator.labels.paths import leaf_paths, schema_at
from curator.normalize import parse_decimal

SAMPLE_ROWS = 500
MIN_SCORE = 80
_DATE_FORMATS = (("%Y%m%d", re.compile(r"^\d{8}$")), ("%Y-%m-%d", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
                 ("%d.%m.%Y", re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")), ("%m/%d/%Y", re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")))
_KEY_WORDS = ("number", "no", "id", "nr", "key", "belnr", "ebeln")


@dataclass
class Scaffold:
    text: str  # the mapping, TOML
    paired: dict[str, str] = field(default_factory=dict)  # field -> column
    unpaired: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)


def _words(text: str) -> str:
    return " ".join(re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace(".", " ").replace("_", " ").replace("-", " ")
                    .lower().split())


def sample(source: RecordSource, n: int = SAMPLE_ROWS) -> list[dict[str, Any]]:
    """The first rows of an export (the rows that could not be read are skipped)."""
    return [item.data for item in islice((r for r in source.records() if isinstance(r, Row)), n)]


def _values(rows: list[dict[str, Any]], column: str) -> list[str]:
    return [str(row[column]).strip() for row in rows if row.get(column) not in (None, "")]


def date_format(values: list[str]) -> str | None:
    for fmt, pattern in _DATE_FORMATS:
        if values and all(pattern.match(v) for v in values):
            return fmt
    return None


def decimal_mark(values: list[str]) -> str | None:
    """``,`` or ``.`` when every value reads as an amount with that decimal mark; None otherwise."""
    if not values:
        return None
    for mark in (",", "."):
        try:
            if all(parse_decimal(v, mark) is not None for v in values):
                if mark == "," and any("," in v for v in values):
                    return ","
                if mark == "." and not any(re.search(r",\d{1,2}-?$", v) for v in values):
                    return "."
        except (ValueError, ArithmeticError):
            continue
    return None


def _types(node: Mapping[str, Any]) -> set[str]:
    types = node.get("type", [])
    return set([types] if isinstance(types, str) else types)


def _rule(path: str, column: str, node: Mapping[str, Any], values: list[str]) -> str:
    types = _types(node)
    if node.get("format") == "date" or ("string" in types and date_format(values) and "date" in path.lower()):
        fmt = date_format(values)
        return f'{{ column = "{column}", transform = "date"' + (f', format = "{fmt}"' if fmt else "") + " }"
    if "integer" in types:
        return f'{{ column = "{column}", transform = "integer" }}'
    if "number" in types:
        mark = decimal_mark(values) or "."
        return f'{{ column = "{column}", transform = "decimal", decimal = "{mark}" }}'
    if "boolean" in types:
        return f'{{ column = "{column}", transform = "boolean", true = ["X", "Y", "1", "true"], false = ["", "N", "0", "false"] }}'
    return f'"{column}"'


def natural_key(rows: list[dict[str, Any]], columns: Iterable[str]) -> list[str]:
    """A column unique and filled in every sampled row (one named like a number or id first)."""
    columns = list(columns)
    unique = [c for c in columns if rows and len(_values(rows, c)) == len(rows)
              and len(set(_values(rows, c))) == len(rows)]
    named = [c for c in unique if any(word in _words(c).split() for word in _KEY_WORDS)]
    if named or unique:
        return [(named or unique)[0]]
    for first in columns:  # two columns together
        for second in columns:
            if first != second and rows and len({(str(r.get(first)), str(r.get(second))) for r in rows}) == len(rows):
                return [first, second]
    return columns[:1]


def mapping_scaffold(schema: Mapping[str, Any], schema_name: str, source: RecordSource,
                     rows: list[dict[str, Any]] | None = None) -> Scaffold:
    """The mapping TOML for ``source`` into ``schema`` (see the module's docstring)."""
    rows = sample(source) if rows is None else rows
    columns = list(rows[0]) if rows else []
    fields = [leaf for leaf in leaf_paths(schema) if "[]" not in leaf]
    scores = sorted(((fuzz.token_sort_ratio(_words(leaf), _words(column)), leaf, column)
                     for leaf in fields for column in columns), reverse=True)
    paired: dict[str, str] = {}
    used: set[str] = set()
    for score, leaf, column in scores:
        if score < MIN_SCORE:
            break
        if leaf in paired or column in used:
            continue
        paired[leaf] = column
        used.add(column)
    key = natural_key(rows, columns)
    unpaired = [leaf for leaf in leaf_paths(schema) if leaf not in paired and not leaf.endswith("[]")]
    identifiers = [leaf for leaf, column in paired.items() if column in key] or \
        [leaf for leaf in paired if any(w in _words(leaf).split() for w in _KEY_WORDS)][:1]
    weights = {}
    for leaf in paired:
        node = schema_at(schema, leaf)
        types = _types(node)
        weights[leaf] = 4 if leaf in identifiers else 3 if types & {"number", "integer"} else \
            2 if node.get("format") == "date" or "date" in leaf else 1
    lines = [f"# Mapping scaffold: {source.location} -> schema {schema_name}. It runs as it is; check each pair.",
             f'name = "{schema_name}-{source.name}"', f'schema = "{schema_name}"', f'document_class = "{schema_name}"',
             f'record_source = "{source.name}"', "", f"[sources.{_toml_key(source.name)}]",
             f"key = [{', '.join(repr_toml(k) for k in key)}]  # unique in every sampled row", "", "[fields]"]
    for leaf in fields + [leaf for leaf in unpaired if leaf not in fields]:
        if leaf in paired:
            column = paired[leaf]
            lines.append(f"{_toml_key(leaf)} = {_rule(leaf, column, schema_at(schema, leaf), _values(rows, column))}")
        else:
            lines.append(f'# {_toml_key(leaf)} = "?"  # TODO: no column looks like this field; it stays unknown '
                         "(the teacher or a person fills it)")
    lines += ["", "[match]", "# Identifiers are searched for on the documents; weights score the other fields.",
              f"identifiers = [{', '.join(repr_toml(i) for i in identifiers)}]", "[match.weights]"]
    lines += [f"{_toml_key(leaf)} = {weight}" for leaf, weight in weights.items()]
    return Scaffold(text="\n".join(lines) + "\n", paired=paired, unpaired=unpaired, key=key)


def repr_toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_key(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else repr_toml(text)


def infer_schema(source: RecordSource, title: str | None = None, rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A draft JSON Schema from an export's columns, for users who start with nothing: one
    property per column (snake_case), typed from the values (dates, amounts, integers, text)."""
    rows = sample(source) if rows is None else rows
    properties: dict[str, Any] = {}
    for column in (list(rows[0]) if rows else []):
        values = _values(rows, column)
        name = "_".join(_words(column).split()) or column
        if values and date_format(values):
            prop = {"type": ["string", "null"], "format": "date"}
        elif values and all(re.fullmatch(r"-?\d+", v) for v in values) and not all(len(v) > 9 for v in values):
            prop = {"type": ["integer", "null"]} if not any(v.startswith("0") and len(v) > 1 for v in values) \
                else {"type": ["string", "null"]}
        elif values and decimal_mark(values) and any(re.search(r"\d[.,]\d", v) for v in values):
            prop = {"type": ["number", "null"]}
        else:
            prop = {"type": ["string", "null"]}
        prop["x-hint"] = f"column {column} of the ERP export"
        properties[name] = prop
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title or source.name,
            "type": "object", "additionalProperties": False, "properties": properties,
            "required": sorted(properties)}
