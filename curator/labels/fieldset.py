"""A dataset's field set: which fields of the schema the model is taught to answer.

A model trained on an answer learns every key of it: a key whose value nobody knows must
not be in the answer (``null`` would teach "not on the document"), nor in the prompt. So a
dataset is built over a *field set* -- a projection of the schema -- and a sample is written
only when every field of the set is decided on its label (a value, or absent). Fields the
labels rarely decide are left out of the set, with the reason, until a teacher or people
fill them.

Fields are named by their generic leaf path, as :func:`curator.labels.paths.leaf_paths`
lists them: ``invoice_number``, ``employer.address``, ``line_items[]`` (the list itself) and
``line_items[].description`` (a column of it).

>>> fs = suggest_field_set(schema, labels_fields, min_coverage=0.9)
>>> fs.fields, fs.left_out["due_date"]
>>> answer, unknown = project_answer(schema, fs.fields, label_fields)
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from curator.labels.fields import ABSENT, UNKNOWN, VALUE, state_of
from curator.labels.paths import build_target, generic, leaf_paths



def check_fields(schema: Mapping[str, Any], fields: Iterable[str]) -> list[str]:
    """The field set in schema order, lists included with their columns; unknown names refused."""
    known = leaf_paths(schema)
    wanted = set()
    for name in fields:
        name = name.strip()
        if not name:
            continue
        if name.endswith("[]"):  # the list itself: its columns are named one by one
            matches = [leaf for leaf in known if leaf == name]
        else:  # a field, an object (all its fields) or a list (with all its columns)
            matches = [leaf for leaf in known if leaf == name or leaf.startswith(name + ".") or
                       leaf.startswith(name + "[]")]
        if not matches:
            raise ValueError(f"no field {name!r} in the schema; fields: {', '.join(known)}")
        wanted.update(matches)
    for leaf in list(wanted):  # a column of a list brings the list itself
        if "[]." in leaf:
            wanted.add(leaf.split("[].", 1)[0] + "[]")
    return [leaf for leaf in known if leaf in wanted]


def _elements(fields: Mapping[str, Mapping[str, Any]], array: str) -> set[int]:
    indices = set()
    prefix = array + "["
    for path in fields:
        if path.startswith(prefix):
            indices.add(int(path[len(prefix):].split("]", 1)[0]))
    return indices


def field_state(fields: Mapping[str, Mapping[str, Any]], leaf: str, *, conflict_is_unknown: bool = True) -> str:
    """The state of a generic leaf on one label: ``value``, ``absent`` or ``unknown``.

    A list is known when a person or rule decided it (``absent``: no rows) or it has rows; a
    column of a list is known when the list is absent or the column is decided in every row.
    A field with an open conflict between sources is unknown until someone decides (unless
    ``conflict_is_unknown`` is False: triage names conflicts apart from unknown fields).
    """
    def scalar(entry: Mapping[str, Any] | None) -> str:
        if entry is None or (conflict_is_unknown and entry.get("conflict")):
            return UNKNOWN
        return state_of(entry)

    if leaf.endswith("[]"):
        array = leaf[:-2]
        own = fields.get(array)
        if own is not None and scalar(own) != UNKNOWN:
            return state_of(own)
        return "value" if _elements(fields, array) else UNKNOWN
    if "[]." in leaf:
        array, _, sub = leaf.partition("[].")
        list_state = field_state(fields, array + "[]", conflict_is_unknown=conflict_is_unknown)
        if list_state != "value":
            return list_state
        states = {scalar(fields.get(f"{array}[{index}].{sub}")) for index in _elements(fields, array)}
        return UNKNOWN if UNKNOWN in states else "value" if "value" in states else ABSENT
    return scalar(fields.get(leaf))


@dataclass
class FieldSet:
    """A suggested field set: the fields, and why each other field was left out."""

    schema: str
    fields: list[str]
    left_out: dict[str, str] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)
    labels: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.schema, "fields": self.fields, "left_out": self.left_out,
                "coverage": {k: round(v, 3) for k, v in self.coverage.items()}, "labels": self.labels}


def suggest_field_set(schema_name: str, schema: Mapping[str, Any], labels: Sequence[Mapping[str, Mapping[str, Any]]],
                      *, min_coverage: float = 0.9) -> FieldSet:
    """The fields decided on at least ``min_coverage`` of the labels (each label's ``fields``)."""
    leaves = leaf_paths(schema)
    decided = dict.fromkeys(leaves, 0)
    for fields in labels:
        for leaf in leaves:
            # A conflict is a printed value waiting for a person's choice: the field belongs in the set.
            decided[leaf] += field_state(fields, leaf, conflict_is_unknown=False) != UNKNOWN
    total = len(labels)
    coverage = {leaf: (decided[leaf] / total if total else 0.0) for leaf in leaves}
    chosen = [leaf for leaf in leaves if total and coverage[leaf] >= min_coverage]
    # A list of objects goes in with at least one of its columns (its rows need something).
    with_columns = {leaf.split("[].")[0] for leaf in chosen if "[]." in leaf}
    has_columns = {leaf.split("[].")[0] for leaf in leaves if "[]." in leaf}
    chosen = [leaf for leaf in chosen if not leaf.endswith("[]") or leaf[:-2] in with_columns
              or leaf[:-2] not in has_columns]
    left_out = {leaf: (f"unknown on {total - decided[leaf]} of {total} labels" if total else "no labels yet")
                for leaf in leaves if leaf not in chosen}
    return FieldSet(schema=schema_name, fields=chosen, left_out=left_out, coverage=coverage, labels=total)


def project_schema(schema: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """The schema with only the field set's properties (nested objects and list columns too)."""
    wanted = set(fields)

    def keep(node: Mapping[str, Any], prefix: str) -> dict[str, Any] | None:
        out = copy.deepcopy({k: v for k, v in node.items() if k not in ("properties", "required", "items")})
        properties = {}
        for name, prop in node.get("properties", {}).items():
            path = f"{prefix}{name}"
            if prop.get("type") == "object":
                sub = keep(prop, path + ".")
                if sub is not None:
                    properties[name] = sub
            elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
                if path + "[]" in wanted:
                    items = keep(prop["items"], path + "[].")
                    kept = copy.deepcopy({k: v for k, v in prop.items() if k != "items"})
                    kept["items"] = items or {"type": "object", "properties": {}}
                    properties[name] = kept
            elif path in wanted:
                properties[name] = copy.deepcopy(prop)
        if not properties and node.get("properties"):
            return None
        if "properties" in node:
            out["properties"] = properties
            out["required"] = [r for r in node.get("required", []) if r in properties]
        if "items" in node:
            out["items"] = copy.deepcopy(node["items"])
        return out

    return keep(schema, "") or {**{k: v for k, v in schema.items() if k not in ("properties", "required")},
                                "properties": {}, "required": []}


def project_answer(schema: Mapping[str, Any], fields: Sequence[str],
                   label_fields: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Any] | None, list[str]]:
    """The label's answer over the field set, or (None, the unknown fields) when any is unknown."""
    unknown = [leaf for leaf in fields if field_state(label_fields, leaf) == UNKNOWN]
    if unknown:
        return None, unknown
    wanted = set(fields)
    values = {path: entry.get("value") if state_of(entry) == VALUE else None  # absent: null, whatever was stored
              for path, entry in label_fields.items() if generic(path) in wanted and state_of(entry) != UNKNOWN}
    return build_target(project_schema(schema, fields), values), []
