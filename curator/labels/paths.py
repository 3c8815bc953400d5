"""Leaf paths into nested target JSON: ``employee.ssn``, ``multiStateEmployment[1].state``.

Labels store one entry per leaf path; these helpers enumerate a schema's leaves, build the
nested JSON (every schema key present, null where unknown) and list the gaps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")
_INDEX = re.compile(r"\[\d+\]")


def generic(path: str) -> str:
    """A concrete path's schema leaf: ``line_items[3].amount`` -> ``line_items[].amount``."""
    return _INDEX.sub("[]", path)


def parse_path(path: str) -> list[tuple[str, int | None]]:
    parts = []
    for chunk in path.split("."):
        match = _PART.fullmatch(chunk)
        if not match:
            raise ValueError(f"bad field path {path!r}")
        parts.append((match.group(1), int(match.group(2)) if match.group(2) is not None else None))
    return parts


def _is_object_array(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "array" and schema.get("items", {}).get("type") == "object"


def schema_at(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    node = schema
    for name, index in parse_path(path):
        node = node["properties"][name]
        if index is not None:
            node = node["items"]
    return node


def leaf_paths(schema: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Scalar leaves; an array of objects appears once as ``name[]`` followed by its sub-fields."""
    out = []
    for name, prop in sorted(schema.get("properties", {}).items()):
        path = f"{prefix}{name}"
        if prop.get("type") == "object":
            out += leaf_paths(prop, path + ".")
        elif _is_object_array(prop):
            out += [f"{path}[]"] + leaf_paths(prop["items"], f"{path}[].")
        else:
            out.append(path)
    return out


def gaps(schema: Mapping[str, Any], filled: Iterable[str]) -> list[str]:
    """Schema leaves not in ``filled``. An object array with no filled element is one gap
    (``line_items``); for elements that exist, their unfilled sub-fields are gaps."""
    filled = set(filled)
    indices: dict[str, set[int]] = {}
    for path in filled:
        for match in re.finditer(r"([^.\[\]]+)\[(\d+)\]", path):
            prefix = path[: match.end(1)]
            indices.setdefault(prefix, set()).add(int(match.group(2)))
    missing = []
    for leaf in leaf_paths(schema):
        if leaf.endswith("[]"):
            array = leaf[:-2]
            if array not in indices and array not in filled:
                missing.append(array)
            continue
        if "[]." in leaf:
            array, _, sub = leaf.partition("[].")
            for index in sorted(indices.get(array, ())):
                concrete = f"{array}[{index}].{sub}"
                if concrete not in filled:
                    missing.append(concrete)
            continue
        if leaf not in filled:
            missing.append(leaf)
    return missing


def build_target(schema: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Nested JSON with every schema key (null where unknown) and the given leaf values."""
    target = _empty(schema)
    for path, value in values.items():
        node: Any = target
        parts = parse_path(path)
        sub_schema: Mapping[str, Any] = schema
        for position, (name, index) in enumerate(parts):
            last = position == len(parts) - 1
            sub_schema = sub_schema["properties"][name]
            if index is None:
                if last:
                    node[name] = value
                else:
                    node = node[name]
                continue
            array = node[name] if isinstance(node.get(name), list) else []
            node[name] = array
            while len(array) <= index:
                array.append(_empty(sub_schema["items"]))
            sub_schema = sub_schema["items"]
            if last:
                array[index] = value
            else:
                node = array[index]
    return target


def _empty(schema: Mapping[str, Any]) -> Any:
    if schema.get("type") == "object":
        return {name: _empty(prop) for name, prop in sorted(schema.get("properties", {}).items())}
    if schema.get("type") == "array":
        return []
    return None
