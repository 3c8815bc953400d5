"""An OData service's ``$metadata`` (EDMX), read once: version, entity sets, keys and EDM types.

Real SAP services are stricter than a hand-made fake: the version is what the metadata says
(V2 services are not always under ``/sap/opu/odata/``), an entity set that does not exist
must be explained with the sets that do, the natural key is the entity type's key
(``SupplierInvoice`` + ``FiscalYear``), and every value is converted by its EDM type:
``/Date(ms)/`` and ``PT09H12M44S`` to ISO, decimals kept exact, Int64 from its string.

>>> metadata = parse_metadata(edmx_bytes)
>>> metadata.version, metadata.entity_sets["A_SupplierInvoice"].key
('2', ['SupplierInvoice', 'FiscalYear'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import ElementTree

_SAP = "http://www.sap.com/Protocols/SAPData"
_ODATA_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")
_DURATION = re.compile(r"^-?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_FRACTION = re.compile(r"(\.\d{6})\d+")


class MetadataError(ValueError):
    """The $metadata document cannot be read."""


@dataclass(frozen=True)
class Property:
    name: str
    type: str  # Edm.String, Edm.DateTime, ...
    precision: int | None = None
    scale: int | None = None
    display_format: str | None = None  # SAP's sap:display-format ("Date": a date without a time of day)

    @property
    def date_only(self) -> bool:
        return self.type == "Edm.Date" or (self.type == "Edm.DateTime" and self.display_format == "Date")


@dataclass
class EntityType:
    name: str
    key: list[str]
    properties: dict[str, Property]
    navigation: list[str] = field(default_factory=list)


@dataclass
class ServiceMetadata:
    version: str  # "2" or "4"
    entity_sets: dict[str, EntityType]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def parse_metadata(document: bytes) -> ServiceMetadata:
    """The service's version, entity sets, keys and property types (namespaces of any OData version)."""
    try:
        root = ElementTree.fromstring(document)
    except Exception as exc:  # noqa: BLE001 - defusedxml raises several kinds; all mean "not EDMX"
        raise MetadataError(f"not an EDMX document ({type(exc).__name__}: {str(exc)[:120]})") from None
    if _local(root.tag) != "Edmx":
        raise MetadataError(f"not an EDMX document (root element {_local(root.tag)})")
    version = "4" if root.get("Version", "").startswith("4") else "2"
    types: dict[str, EntityType] = {}
    sets: dict[str, str] = {}
    for schema in (e for e in root.iter() if _local(e.tag) == "Schema"):
        namespace = schema.get("Namespace", "")
        alias = schema.get("Alias")
        for element in schema:
            if _local(element.tag) == "EntityType":
                key = [ref.get("Name") for ref in element.iter() if _local(ref.tag) == "PropertyRef"]
                properties = {p.get("Name"): Property(p.get("Name"), p.get("Type", "Edm.String"),
                                                      _int(p.get("Precision")), _int(p.get("Scale")),
                                                      p.get(f"{{{_SAP}}}display-format"))
                              for p in element if _local(p.tag) == "Property"}
                navigation = [n.get("Name") for n in element if _local(n.tag) == "NavigationProperty"]
                entity = EntityType(element.get("Name"), key, properties, navigation)
                types[f"{namespace}.{entity.name}"] = entity
                if alias:
                    types[f"{alias}.{entity.name}"] = entity
            elif _local(element.tag) == "EntityContainer":
                for entity_set in element:
                    if _local(entity_set.tag) == "EntitySet":
                        sets[entity_set.get("Name")] = entity_set.get("EntityType", "")
    return ServiceMetadata(version, {name: types[type_name] for name, type_name in sets.items() if type_name in types})


# -- values by EDM type ------------------------------------------------------------------------


def _moment(text: str) -> datetime | None:
    match = _ODATA_DATE.match(text)
    if not match:
        return None
    moment = datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
    if match.group(3):  # an offset in minutes, as SAP writes it (+0060)
        minutes = int(match.group(3)) * (1 if match.group(2) == "+" else -1)
        moment = moment.astimezone(timezone(timedelta(minutes=minutes)))
    return moment


def _iso_offset(text: str) -> str:
    """ISO 8601 with up to 7 fractional digits (V4) -> ISO that Python (and people) read."""
    parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00"))
    return parsed.isoformat().replace("+00:00", "Z")


def _time_of_day(text: str) -> str:
    match = _DURATION.match(text)
    if not match:
        return text
    hours, minutes, seconds = int(match.group(2) or 0), int(match.group(3) or 0), float(match.group(4) or 0)
    whole = int(seconds)
    fraction = f"{seconds - whole:.6f}"[1:].rstrip("0").rstrip(".") if seconds != whole else ""
    return f"{hours:02d}:{minutes:02d}:{whole:02d}{fraction}"


def convert(value: Any, prop: Property | None) -> Any:
    """A JSON value as its EDM type means it (None stays None; unknown types pass through)."""
    if value is None or prop is None:
        return _untyped(value)
    kind = prop.type
    if kind in ("Edm.DateTime", "Edm.DateTimeOffset"):
        if isinstance(value, str):
            moment = _moment(value)
            if moment is not None:
                if prop.date_only or (kind == "Edm.DateTime" and moment.time() == datetime.min.time()
                                      and moment.utcoffset() in (None, timedelta(0))):
                    return moment.date().isoformat()
                return moment.isoformat().replace("+00:00", "Z")
            return _iso_offset(value) if "T" in value else value
        return value
    if kind == "Edm.Time" and isinstance(value, str):
        return _time_of_day(value)
    if kind in ("Edm.Decimal",):
        return _exact(value)
    if kind in ("Edm.Int64", "Edm.Int32", "Edm.Int16", "Edm.Byte", "Edm.SByte"):
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    if kind in ("Edm.Double", "Edm.Single"):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    if kind == "Edm.Boolean" and isinstance(value, str):
        return value.lower() == "true"
    if kind == "Edm.Guid" and isinstance(value, str):
        return value.lower()
    return value


def _exact(value: Any) -> Any:
    """A decimal as exact text: ``"1190.000"`` stays; a JSON number (a V4 server that ignored
    IEEE754Compatible) becomes the shortest text that reads back the same."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        try:
            return str(Decimal(repr(value)))
        except InvalidOperation:
            return str(value)
    return value


def _untyped(value: Any) -> Any:
    """Without metadata for a property: ``/Date(ms)/`` still becomes ISO."""
    if isinstance(value, str):
        moment = _moment(value)
        if moment is not None:
            return moment.date().isoformat() if moment.time() == datetime.min.time() else \
                moment.isoformat().replace("+00:00", "Z")
    return value


def filter_literal(version: str, prop: Property | None, value: str) -> str:
    """A value as a $filter literal of the service's OData version and the property's type."""
    kind = prop.type if prop else "Edm.String"
    if kind in ("Edm.DateTime", "Edm.DateTimeOffset", "Edm.Date"):
        day_only = len(value) == 10
        if version == "2":
            if kind == "Edm.DateTimeOffset":
                return f"datetimeoffset'{value + 'T00:00:00Z' if day_only else value}'"
            # The OData 2.0 grammar needs a time of day: datetime'2020-01-02' is refused (HTTP 400).
            stamp = (value + "T00:00:00") if day_only else value.replace("Z", "").split("+")[0]
            return f"datetime'{stamp}'"
        if kind == "Edm.Date":
            return value[:10]
        return value + "T00:00:00Z" if day_only else value
    if kind in ("Edm.Decimal",):
        return f"{value}M" if version == "2" else value
    if kind.startswith("Edm.Int") or kind in ("Edm.Double", "Edm.Single", "Edm.Byte"):
        return value
    return "'" + value.replace("'", "''") + "'"
