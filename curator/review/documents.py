"""A document's labels as a person may read them: every field's state, value, provenance and
where the document shows it (``curator docs show --json``)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from curator.access import Actor, require
from curator.labels.fields import state_of
from curator.review.masking import shown
from curator.schemas.registry import schema_for
from curator.store.models import Label
from curator.workspace import Workspace

_KEPT = ("source", "agent", "confidence", "at", "conflict", "suspect", "agreed_by", "evidence")


def document_labels(workspace: Workspace, actor: Actor | str, sha256: str) -> list[dict[str, Any]]:
    """Each label of the document with its fields (values masked for viewers where sensitive)."""
    me = require(workspace, actor, "read")
    with workspace.session() as session:
        labels = session.exec(select(Label).where(Label.document_sha256 == sha256).order_by(Label.id)).all()
    out = []
    for label in labels:
        schema = schema_for(workspace, label.schema_name)
        fields = {}
        for path, entry in sorted(json.loads(label.fields).items()):
            fields[path] = {"state": state_of(entry), "value": shown(me, path, entry.get("value"), schema),
                            **{key: entry[key] for key in _KEPT if key in entry}}
            if entry.get("candidates"):
                fields[path]["candidates"] = [dict(c, value=shown(me, path, c.get("value"), schema))
                                              for c in entry["candidates"]]
        for gap in json.loads(label.gaps or "[]"):  # the schema's fields nobody has a value for yet
            fields.setdefault(gap, {"state": "unknown", "value": None})
        out.append({"label_id": label.id, "schema": label.schema_name, "schema_version": label.schema_version,
                    "status": label.status, "version": label.version, "fields": fields})
    return out
