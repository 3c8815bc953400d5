"""Ask a model as it was trained: the prompts its dataset was written with, from the export's manifest.

A fine-tuned model learned one system prompt and one user prompt (the listed keys, the
template). Asking it anything else measures something else, so ``evaluate`` and ``predict``
read them from the manifest of the export the model was trained on (by default the newest
export of the schema); only when there is no export yet are they built from the schema's
field set, the same way an export would build them.

>>> prompts = trained_prompts(workspace, "w2")
>>> prompts.system, prompts.user, prompts.source
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curator.workspace import Workspace


@dataclass(frozen=True)
class TrainedPrompts:
    system: str
    user: str
    max_pixels: int
    fields: list[str]
    source: str  # the export folder they were read from, or how they were built


def _from_manifest(folder: Path, schema: dict[str, Any]) -> TrainedPrompts:
    from curator.labels.fieldset import project_schema
    from exports.prompts import DEFAULT_TEMPLATE, extraction_prompt, system_prompt

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    settings = manifest.get("settings", {})
    fields = (manifest.get("fields") or {}).get("fields") or []
    projected = project_schema(schema, fields) if fields else schema
    # Manifests of earlier releases kept the template, not the prompts: rebuild them the same way.
    system = settings.get("system_prompt") or system_prompt(projected)
    user = settings.get("user_prompt") or extraction_prompt(projected, settings.get("template") or DEFAULT_TEMPLATE)
    return TrainedPrompts(system, user, int(settings.get("max_pixels") or 1_600_000), fields, str(folder))


def trained_prompts(workspace: Workspace, schema_name: str, export: Path | None = None) -> TrainedPrompts:
    """The prompts of ``export`` (a folder), else of the newest export of the schema, else built."""
    from sqlmodel import select

    from curator.curate.fieldsets import field_set_for
    from curator.labels.fieldset import project_schema
    from curator.schemas.registry import schema_for
    from curator.store.models import Export
    from exports.prompts import extraction_prompt, system_prompt

    schema = schema_for(workspace, schema_name)
    if export is not None:
        if not (Path(export) / "manifest.json").exists():
            raise ValueError(f"{export}: no manifest.json; give the export folder the model was trained on")
        return _from_manifest(Path(export), schema)
    with workspace.session() as session:
        rows = session.exec(select(Export.location, Export.manifest).where(Export.task == "extraction")
                            .order_by(Export.id.desc())).all()
    for location, manifest in rows:
        if json.loads(manifest).get("schema") == schema_name and (Path(location) / "manifest.json").exists():
            return _from_manifest(Path(location), schema)
    fields = field_set_for(workspace, schema_name, schema)
    projected = project_schema(schema, fields)
    return TrainedPrompts(system_prompt(projected), extraction_prompt(projected), 1_600_000, fields,
                          "built from the schema's field set (no export yet)")
