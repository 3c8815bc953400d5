"""Declarative mappings from ERP records (and joined sources) to target JSON fields.

A mapping is a TOML file (see ``curator/mappings/*.toml``)::

    schema = "invoice"
    record_source = "rbkp"
    [sources.rbkp]
    key = ["BUKRS", "GJAHR", "BELNR"]
    [joins.vendor]                 # LFA1 row whose key is this record's LIFNR
    source = "lfa1"
    on = ["LIFNR"]
    [fields]
    invoice_number = "XBLNR"       # a column, as is
    invoice_date = { column = "BLDAT", transform = "date", format = "%Y%m%d" }
    seller_name = "vendor.NAME1"   # a column of a joined source
    total = { column = "RMWWR", transform = "decimal", decimal = "," }

Transforms: date, decimal, integer, boolean, lookup, upper, strip (one column); join,
template, difference, sum (several columns); constant (none). Values taken as they are
carry provenance ``erp``; constants and lookups carry ``rule``.

An empty cell makes the field *unknown* (a gap for the teacher or a person), never "not on
the document": ERPs leave cells empty for many reasons. Where the ERP is authoritative for a
field, the rule says so and an empty cell makes it *absent*::

    po_number = { column = "EBELN", empty = "absent" }   # no PO in SAP: the invoice names none
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from curator.normalize import parse_date, parse_decimal
from curator.labels.paths import parse_path, schema_at
from curator.schemas import builtin_schema

RULE_TRANSFORMS = {"lookup", "constant"}


class MappingError(ValueError):
    """A rule that cannot be applied to a record: names the field, column and transform."""


@dataclass(frozen=True)
class FieldRule:
    target: str
    columns: tuple[str, ...]
    transform: str | None
    options: dict[str, Any]

    @property
    def provenance(self) -> str:
        return "rule" if self.transform in RULE_TRANSFORMS else "erp"

    def describe(self) -> str:
        return f"{self.transform or 'copy'}({', '.join(self.columns)})"


@dataclass(frozen=True)
class JoinSpec:
    alias: str
    source: str
    on: tuple[str, ...]


@dataclass
class MatchSpec:
    identifiers: list[str]
    weights: dict[str, float]


@dataclass
class Mapping:
    name: str
    schema_name: str
    document_class: str | None
    record_source: str
    source_keys: dict[str, list[str]]
    joins: list[JoinSpec]
    rules: list[FieldRule]
    match: MatchSpec
    schema: dict[str, Any] = field(repr=False, default_factory=dict)
    _kinds: dict[str, str] = field(repr=False, default_factory=dict)

    def kind(self, path: str) -> str:
        """How a field's values compare (amount, date, identifier, text, boolean); cached."""
        if path not in self._kinds:
            from curator.evidence import value_kind

            self._kinds[path] = value_kind(schema_at(self.schema, path))
        return self._kinds[path]

    def rule_for(self, path: str) -> FieldRule | None:
        """The rule that fills ``path`` (a leaf path, or a list filled by ``list[].column`` rules)."""
        return next((rule for rule in self.rules if rule.target == path), None) or next(
            (rule for rule in self.rules if rule.target.startswith(path + "[]")), None)

    def column_expectations(self, source: str) -> dict[str, str]:
        """What the rules read from each column of ``source``: ``date``, ``number`` or ``text``,
        so a typed export (Parquet) can be checked before its rows are stored."""
        aliases = {join.alias: join.source for join in self.joins}
        wanted: dict[str, str] = {}
        for rule in self.rules:
            for column in rule.columns:
                alias, dot, name = column.partition(".")
                owner, name = (aliases.get(alias), name) if dot else (self.record_source, column)
                if owner != source or name.startswith("$"):
                    continue
                if rule.transform == "date":
                    wanted[name] = "date"
                elif rule.transform in ("decimal", "integer", "difference", "sum") or (
                        rule.transform is None and self.kind(rule.target) == "amount"):
                    wanted[name] = "number"
                else:
                    wanted.setdefault(name, "text")
        return wanted



def builtin_mapping_names() -> list[str]:
    """The mappings that ship with Curator (for the synthetic corpora)."""
    return sorted(p.name[:-5] for p in resources.files("curator.mappings").iterdir() if p.name.endswith(".toml"))


def load_mapping(name_or_path: str | Path, workspace=None) -> Mapping:
    """A mapping by built-in name (``invoice-sap``) or TOML path, parsed and checked against its
    schema: a rule naming a field the schema lacks fails here, not on the thousandth record.
    With a workspace, the schema is the one registered there (``curator schema add``).

    >>> load_mapping("invoice-sap").schema_name
    'invoice'
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        text, origin = path.read_text(encoding="utf-8"), str(path)
    else:
        candidate = resources.files("curator.mappings").joinpath(f"{name_or_path}.toml")
        if not candidate.is_file():
            raise MappingError(
                f"no mapping {str(name_or_path)!r}: give a .toml file or one of {', '.join(builtin_mapping_names())}"
            )
        text, origin = candidate.read_text(encoding="utf-8"), f"built-in {name_or_path}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{origin}: not valid TOML: {exc}") from exc
    return parse_mapping(data, origin, workspace, base=path.parent if path.suffix == ".toml" else None)


def parse_mapping(data: dict[str, Any], origin: str = "mapping", workspace=None, base: Path | None = None) -> Mapping:
    """A mapping from its TOML data (``origin`` names it in errors). ``schema`` names a schema
    registered in the workspace (or a built-in example); a path to a ``.json`` file is taken by
    its name (``po.schema.json`` is ``po``) and must be the registered document."""
    try:
        reference = str(data["schema"])
        record_source = data["record_source"]
    except KeyError as exc:
        raise MappingError(f"{origin}: missing {exc.args[0]!r}") from None
    schema_name, schema = _schema(reference, origin, workspace, base)
    rules = []
    for target, spec in data.get("fields", {}).items():
        rule = _rule(target, spec, origin)
        try:
            schema_at(schema, target.replace("[]", "[0]"))
        except (KeyError, ValueError):
            raise MappingError(f"{origin}: field {target!r} is not in schema {schema_name!r}") from None
        rules.append(rule)
    joins = [
        JoinSpec(alias=alias, source=spec["source"], on=tuple(spec["on"]))
        for alias, spec in data.get("joins", {}).items()
    ]
    match = data.get("match", {})
    return Mapping(
        name=data.get("name", origin),
        schema_name=schema_name,
        document_class=data.get("document_class"),
        record_source=record_source,
        source_keys={name: list(spec["key"]) for name, spec in data.get("sources", {}).items()},
        joins=joins,
        rules=rules,
        match=MatchSpec(identifiers=list(match.get("identifiers", [])),
                        weights={k: float(v) for k, v in match.get("weights", {}).items()}),
        schema=schema,
    )


def _schema(reference: str, origin: str, workspace, base: Path | None) -> tuple[str, dict[str, Any]]:
    from curator.schemas.registry import SchemaError, read_schema_file, schema_for

    if not reference.endswith(".json"):
        try:
            return reference, schema_for(workspace, reference) if workspace is not None else builtin_schema(reference)
        except KeyError as exc:
            raise MappingError(f"{origin}: {str(exc).strip(chr(34) + chr(39))}") from None
    path = Path(reference) if Path(reference).is_absolute() or base is None else base / reference
    name = path.name.split(".")[0]
    try:
        document = read_schema_file(path)
    except SchemaError as exc:
        raise MappingError(f"{origin}: {exc}") from None
    if workspace is not None:
        try:
            registered = schema_for(workspace, name)
        except KeyError:
            registered = None
        if registered != document:
            raise MappingError(f"{origin}: schema {path} is {'not registered' if registered is None else 'not the registered version'}"
                               f" in this workspace: run `curator schema add {path} --name {name}` first, then "
                               f"name it in the mapping as schema = \"{name}\"")
    return name, document


def _rule(target: str, spec: Any, origin: str) -> FieldRule:
    if isinstance(spec, str):
        return FieldRule(target, (spec,), None, {})
    if not isinstance(spec, dict):
        raise MappingError(f"{origin}: field {target!r}: expected a column name or a table")
    options = dict(spec)
    columns = options.pop("columns", None) or ([options.pop("column")] if "column" in options else [])
    transform = options.pop("transform", None)
    if "template" in options and transform is None:
        transform = "template"
    if "value" in options and transform is None:
        transform = "constant"
    if transform is not None and transform not in SINGLE_COLUMN and transform not in MULTI_COLUMN \
            and transform != "constant":
        raise MappingError(f"{origin}: field {target!r}: unknown transform {transform!r}")
    if transform in MULTI_COLUMN and len(columns) < 2 and transform != "template":
        raise MappingError(f"{origin}: field {target!r}: transform {transform!r} needs several columns")
    if transform != "constant" and not columns:
        raise MappingError(f"{origin}: field {target!r}: no column given")
    if options.get("empty", "unknown") not in ("unknown", "absent"):
        raise MappingError(f"{origin}: field {target!r}: empty must be \"unknown\" (the default: an empty "
                           "cell says nothing) or \"absent\" (the ERP is authoritative: empty means not printed)")
    return FieldRule(target, tuple(columns), transform, options)


@dataclass
class MappedRecord:
    values: dict[str, Any]
    provenance: dict[str, str]
    errors: list[str]


def apply_mapping(mapping: Mapping, record: dict[str, Any], joined: dict[str, dict[str, Any] | None]) -> MappedRecord:
    """Map one record; a rule that fails is reported and leaves its field unfilled."""
    values: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    errors: list[str] = []
    for rule in mapping.rules:
        try:
            if "[]" in rule.target:
                for path, value in _apply_rows(rule, record, joined, mapping).items():
                    values[path] = value
                    provenance[path] = rule.provenance
                continue
            value = _apply(rule, record, joined, mapping)
        except MappingError as exc:
            errors.append(str(exc))
            continue
        values[rule.target] = value
        provenance[rule.target] = rule.provenance
    _drop_empty_elements(values, provenance)
    return MappedRecord(values=values, provenance=provenance, errors=errors)


def _apply_rows(rule: FieldRule, record, joined, mapping: Mapping) -> dict[str, Any]:
    """A list field from a list in the record (an expanded OData navigation property, e.g.
    ``"line_items[].amount" = { column = "to_SuplrInvcItemPurOrdRef[].SupplierInvoiceItemAmount" }``):
    one element per row of the record's list, each through the rule's transform. A record whose
    list is empty gives the list itself: unknown, or absent where the rule says ``empty = "absent"``."""
    array, _, _sub = rule.target.partition("[]")
    column = rule.columns[0] if rule.columns else ""
    if "[]." not in column:
        raise MappingError(f"field {rule.target}: a list field takes its values from a list column "
                           f"(e.g. to_Items[].Amount), not {column!r}")
    listed, _, inner = column.partition("[].")
    rows = record.get(listed)
    if rows is None:
        raise MappingError(f"field {rule.target}: column {listed!r} is not in the record (expand it: $expand={listed})")
    if not isinstance(rows, list):
        raise MappingError(f"field {rule.target}: column {listed!r} is not a list")
    if not rows:
        return {array: None}
    out = {}
    for index, row in enumerate(rows):
        element = FieldRule(rule.target.replace("[]", f"[{index}]", 1), (inner,), rule.transform, rule.options)
        out[element.target] = _apply(element, row, {}, mapping)
    return out


def _drop_empty_elements(values: dict[str, Any], provenance: dict[str, str]) -> None:
    """An array element exists only when the record has something for it (STATE2 empty ->
    no second state row), so an all-null element is removed rather than invented."""
    elements: dict[str, list[str]] = {}
    for path in values:
        if "[" in path:
            elements.setdefault(path[: path.index("]") + 1], []).append(path)
    for paths in elements.values():
        if all(values[p] is None for p in paths):
            for p in paths:
                values.pop(p)
                provenance.pop(p)


def _column(name: str, record: dict[str, Any], joined: dict[str, dict[str, Any] | None], rule: FieldRule) -> Any:
    alias, dot, column = name.partition(".")
    if dot and alias in joined:
        row = joined[alias]
        if row is None:
            return None  # the joined record does not exist: unknown, not an error
        source, key = row, column
    else:
        source, key = record, name
    if key not in source:
        value = _nested(source, key)  # an expanded OData navigation property: to_Supplier.Name
        if value is _MISSING:
            raise MappingError(f"field {rule.target}: column {name!r} is not in the record")
    else:
        value = source[key]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


_MISSING = object()


def _nested(source: dict[str, Any], dotted: str) -> Any:
    node: Any = source
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


# -- transforms: a registry of small functions -----------------------------------------------
# One column in (``value``, never None), a value out; ``options`` are the rule's table.


def _date(value: Any, options: dict[str, Any]) -> Any:
    parsed = parse_date(value, options.get("format"))
    return parsed.isoformat() if parsed else None


def _boolean(value: Any, options: dict[str, Any]) -> bool:
    text = str(value).strip()
    if text in [str(v) for v in options.get("true", ["1", "true", "X", "Y"])]:
        return True
    if text in [str(v) for v in options.get("false", ["0", "false", "", "N"])]:
        return False
    raise ValueError(f"{text!r} is neither true nor false")


def _lookup(value: Any, options: dict[str, Any]) -> Any:
    table = {str(k): v for k, v in options.get("values", {}).items()}
    if str(value) in table:
        return table[str(value)]
    if "default" in options:
        return options["default"]
    raise ValueError(f"{value!r} is not in the lookup table")


SINGLE_COLUMN: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "date": _date,
    "decimal": lambda value, options: _number(parse_decimal(value, options.get("decimal"))),
    "integer": lambda value, options: int(str(value).strip()),
    "boolean": _boolean,
    "lookup": _lookup,
    "upper": lambda value, options: str(value).upper(),
    "strip": lambda value, options: str(value).strip(),
}


# Several columns in (``raw``, any of them may be None), a value out.


def _join(raw: list[Any], options: dict[str, Any]) -> Any:
    return options.get("separator", " ").join(str(v) for v in raw if v not in (None, "")) or None


def _template(raw: list[Any], options: dict[str, Any]) -> Any:
    if all(v is None for v in raw):
        return None
    text = options["template"].format(*["" if v is None else v for v in raw])
    return " ".join(text.split()) or None


def _amounts(raw: list[Any], options: dict[str, Any]) -> list[Decimal] | None:
    numbers = [parse_decimal(v, options.get("decimal")) for v in raw]
    return None if any(n is None for n in numbers) else numbers


def _difference(raw: list[Any], options: dict[str, Any]) -> Any:
    numbers = _amounts(raw, options)
    return None if numbers is None else _number(numbers[0] - sum(numbers[1:], Decimal(0)))


def _sum(raw: list[Any], options: dict[str, Any]) -> Any:
    numbers = _amounts(raw, options)
    return None if numbers is None else _number(sum(numbers, Decimal(0)))


MULTI_COLUMN: dict[str, Callable[[list[Any], dict[str, Any]], Any]] = {
    "join": _join, "template": _template, "difference": _difference, "sum": _sum,
}


def _apply(rule: FieldRule, record, joined, mapping: Mapping) -> Any:
    transform, options = rule.transform, rule.options
    if transform == "constant":
        return options.get("value")
    raw = [_column(column, record, joined, rule) for column in rule.columns]
    try:
        if transform in MULTI_COLUMN:
            return MULTI_COLUMN[transform](raw, options)
        if raw[0] is None:
            return None
        if transform is None:  # the column as it is, typed by the schema
            return _as_schema_type(raw[0], schema_at(mapping.schema, rule.target))
        return SINGLE_COLUMN[transform](raw[0], options)
    except (ValueError, ArithmeticError, TypeError) as exc:
        detail = ", ".join(f"{options[k]}" for k in ("format", "decimal") if k in options)
        raise MappingError(
            f"field {rule.target}: transform {transform!r}{f' ({detail})' if detail else ''} cannot use "
            f"column(s) {', '.join(rule.columns)}: {exc}"
        ) from exc


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _as_schema_type(value: Any, schema: dict[str, Any]) -> Any:
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "string" in types:
        return str(value)
    if "integer" in types:
        return int(value)
    if "number" in types:
        return _number(parse_decimal(value))
    return value


def joined_keys(mapping: Mapping, record: dict[str, Any]) -> dict[str, str | None]:
    """For each join alias, the natural key of the joined record this record points to."""
    out: dict[str, str | None] = {}
    for join in mapping.joins:
        parts = [record.get(column) for column in join.on]
        out[join.alias] = None if any(p in (None, "") for p in parts) else "/".join(str(p).strip() for p in parts)
    return out


__all__ = ["FieldRule", "Mapping", "MappingError", "apply_mapping", "joined_keys", "load_mapping", "parse_path"]


def mapped_record(mapping: Mapping, row: dict[str, Any], joins: dict[str, dict[str, dict[str, Any]]]) -> MappedRecord:
    """Apply the mapping to a stored row, with its joined rows looked up by key."""
    keys = joined_keys(mapping, row)
    joined = {alias: joins.get(alias, {}).get(key) if key else None for alias, key in keys.items()}
    return apply_mapping(mapping, row, joined)
