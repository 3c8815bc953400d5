"""The workspace's target schemas: the user's own JSON Schemas, registered and versioned.

Users own their target JSON (their ERP's fields, their document types). A schema is
registered under a name (``curator schema add purchase_order.schema.json``); registering a
changed file makes a new version, and the labels of that schema follow: a field the new
version adds is unknown on every label (a gap for the teacher or a person), a field it drops
is removed from the labels, and both are reported. Every stage asks :func:`schema_for`; the
built-in invoice and W-2 schemas are examples that answer when nothing of that name is
registered.

>>> change = add_schema(workspace, Path("purchase_order.schema.json"), actor="ana")
>>> change.version, change.added
(1, ['currency', 'line_items[]', ...])
>>> schema_for(workspace, "purchase_order")["title"]
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from curator.access import Actor, require
from curator.labels.paths import leaf_paths
from curator.schemas import BUILTIN, builtin_schema

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class SchemaError(ValueError):
    """A schema file that cannot be used: not JSON, not a JSON Schema, or not an object schema."""


@dataclass
class SchemaChange:
    name: str
    version: int
    created: bool  # False: the same document as the latest version, nothing changed
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    labels_updated: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def schema_for(workspace, name: str) -> dict[str, Any]:
    """The latest registered version of ``name``, else the built-in example of that name."""
    from sqlmodel import select

    from curator.store.models import TargetSchema

    with workspace.session() as session:
        row = session.exec(select(TargetSchema.document).where(TargetSchema.name == name)
                           .order_by(TargetSchema.version.desc())).first()
    if row is not None:
        return json.loads(row)
    if name in BUILTIN:
        return builtin_schema(name)
    raise KeyError(f"no schema {name!r} in this workspace: register it with `curator schema add FILE.json "
                   f"--name {name}` (see `curator schema list`)")


def schema_version(workspace, name: str) -> str:
    """The version labels of ``name`` are made for now ("builtin" for an unregistered example)."""
    from sqlmodel import select

    from curator.store.models import TargetSchema

    with workspace.session() as session:
        version = session.exec(select(TargetSchema.version).where(TargetSchema.name == name)
                               .order_by(TargetSchema.version.desc())).first()
    return "builtin" if version is None else str(version)


def read_schema_file(path: Path) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for target JSON: an object with properties. Refused with the
    reason otherwise, before anything is stored."""
    import jsonschema

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read it: {exc.strerror}") from None
    except ValueError as exc:
        raise SchemaError(f"{path}: not JSON ({exc})") from None
    try:
        jsonschema.Draft202012Validator.check_schema(document)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"{path}: not a valid JSON Schema: {exc.message}") from None
    if not isinstance(document, dict) or document.get("type") != "object" or not document.get("properties"):
        raise SchemaError(f"{path}: the target must be an object schema with properties (\"type\": \"object\")")
    return document


def add_schema(workspace, path: Path, *, actor: Actor | str, name: str | None = None) -> SchemaChange:
    """Register a schema file, or a new version of it when its document changed (authors).

    Labels of the schema are brought to the new version: dropped fields removed, added ones
    unknown; each label is written over the version read (``labels/writer``).
    """
    from sqlmodel import select

    from curator.labels.writer import label_gaps, rewrite
    from curator.store.models import Label, TargetSchema

    actor = require(workspace, actor, "schemas")
    document = read_schema_file(path)
    name = name or Path(path).name.split(".")[0]
    if not _NAME.match(name):
        raise SchemaError(f"schema name {name!r} is not allowed: lower-case letters, digits and _, starting with a letter")
    # Stored in the author's own order (the review form shows fields and table columns in it);
    # the digest is over a canonical form, so reordering alone is not a new version.
    text = json.dumps(document, ensure_ascii=False)
    digest = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    with workspace.session() as session:
        latest = session.exec(select(TargetSchema).where(TargetSchema.name == name)
                              .order_by(TargetSchema.version.desc())).first()
        if latest is not None and latest.sha256 == digest:
            return SchemaChange(name, latest.version, created=False)
        before = json.loads(latest.document) if latest else (builtin_schema(name) if name in BUILTIN else None)
        version = (latest.version if latest else 0) + 1
        session.add(TargetSchema(name=name, version=version, document=text, sha256=digest, created_by=actor.name))
        session.commit()
        label_ids = session.exec(select(Label.id).where(Label.schema_name == name)).all()
    old = set(leaf_paths(before)) if before else set()
    new = leaf_paths(document)
    change = SchemaChange(name, version, created=True, added=[leaf for leaf in new if leaf not in old] if before else [],
                          removed=sorted(old - set(new)))
    wanted = set(new)
    for label_id in label_ids:
        def migrate(session, label, fields):
            kept = {path: entry for path, entry in fields.items()
                    if _generic(path) in wanted or _generic(path) + "[]" in wanted}
            if kept == fields and json.loads(label.gaps) == label_gaps(document, kept):
                return None  # nothing of this label changes (its new gaps aside)
            return {"schema": document, "fields": kept}

        if rewrite(workspace, label_id, migrate):
            change.labels_updated += 1
        with workspace.session() as session:
            label = session.get(Label, label_id)
            label.schema_version = str(version)
            session.add(label)
            session.commit()
    return change


def _generic(path: str) -> str:
    from curator.labels.paths import generic

    return generic(path)


def list_schemas(workspace) -> list[dict[str, Any]]:
    """Registered schemas (latest version of each) and the built-in examples not overridden."""
    from sqlmodel import func, select

    from curator.store.models import Label, TargetSchema

    out = []
    with workspace.session() as session:
        rows = session.exec(select(TargetSchema).order_by(TargetSchema.name, TargetSchema.version.desc())).all()
        labels = dict(session.exec(select(Label.schema_name, func.count()).group_by(Label.schema_name)).all())
    seen = set()
    for row in rows:
        if row.name in seen:
            continue
        seen.add(row.name)
        document = json.loads(row.document)
        out.append({"name": row.name, "version": row.version, "origin": "registered", "title": document.get("title"),
                    "fields": len(leaf_paths(document)), "labels": labels.get(row.name, 0),
                    "created_at": row.created_at.isoformat()})
    for name in sorted(set(BUILTIN) - seen):
        document = builtin_schema(name)
        out.append({"name": name, "version": "builtin", "origin": "built-in example", "title": document.get("title"),
                    "fields": len(leaf_paths(document)), "labels": labels.get(name, 0), "created_at": None})
    return out
