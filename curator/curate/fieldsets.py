"""The dataset's field set per schema, as the workspace keeps it (``[triage] fields``).

Triage, export and evaluation all work over the same field set, so a label is accepted,
written and scored on the same fields. :func:`suggest` proposes one from what the labels
decide today; ``curator fields suggest --save`` keeps it.

>>> suggestion = suggest(workspace, "w2")      # fields decided on >= 90% of the labels
>>> save(workspace, "w2", suggestion.fields)
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from curator.config import save_config
from curator.labels.fieldset import FieldSet, check_fields, suggest_field_set
from curator.labels.paths import leaf_paths
from curator.schemas.registry import schema_for
from curator.store.models import Label, LabelStatus
from curator.workspace import Workspace


def field_set_for(workspace: Workspace, schema_name: str, schema: dict[str, Any] | None = None) -> list[str]:
    """The configured field set of a schema, else every field of it."""
    schema = schema or schema_for(workspace, schema_name)
    configured = workspace.config.triage.fields.get(schema_name)
    return check_fields(schema, configured) if configured else leaf_paths(schema)


def suggest(workspace: Workspace, schema_name: str, *, min_coverage: float = 0.9) -> FieldSet:
    """The fields decided on at least ``min_coverage`` of the schema's labels (rejected ones aside)."""
    schema = schema_for(workspace, schema_name)
    with workspace.session() as session:
        rows = session.exec(select(Label.fields).where(Label.schema_name == schema_name,
                                                       Label.status != LabelStatus.REJECTED)).all()
    return suggest_field_set(schema_name, schema, [json.loads(fields) for fields in rows], min_coverage=min_coverage)


def save(workspace: Workspace, schema_name: str, fields: list[str]) -> list[str]:
    """Keep the field set in curator.toml (checked against the schema first)."""
    checked = check_fields(schema_for(workspace, schema_name), fields)
    workspace.config.triage.fields[schema_name] = checked
    save_config(workspace.root, workspace.config)
    return checked


def how_to_fill(left_out: dict[str, str], schema_name: str) -> str:
    """One sentence for people: what to run to bring the left-out fields into the dataset."""
    if not left_out:
        return ""
    return (f"fill them with a teacher (curator annotate --schema {schema_name} --teacher bedrock:... or "
            "openai:URL#model), or in review; a mapping rule with empty = \"absent\" decides fields the ERP is "
            "authoritative for; then run curator fields suggest --save again")
