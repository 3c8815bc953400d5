"""The ``export`` stage: approved and auto-accepted labels -> a provider's dataset files.

Writes into a fresh folder and swaps it in at the end, so an interrupted export never
leaves a half-written dataset behind and stale files never linger. Validates what it
wrote against the provider's rules, uploads to S3 when asked, and records the export with
its manifest (the sha256 of every file): the same workspace gives byte-identical files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from curator.curate.samples import classification_samples, extraction_samples
from curator.curate.upload import upload_folder
from curator.curate.validate import ValidationReport, validate_export
from curator.schemas import builtin_schema
from curator.store.models import Document, Export, Label
from curator.workspace import Workspace
from exports import get_writer
from exports.base import Destination

TARGET_OF_FORMAT = {"bedrock-nova": "bedrock-nova", "bedrock-llama32": "bedrock-llama32", "swift": "swift"}


@dataclass
class ExportResult:
    export_id: int | None
    format: str
    task: str
    folder: str
    s3_prefix: str | None
    fingerprint: str
    counts: dict[str, int]
    files: list[str]
    uploaded: list[str] = field(default_factory=list)
    validation: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def labels_by_status(workspace: Workspace, schema_name: str) -> dict[str, int]:
    with workspace.session() as session:
        return dict(session.exec(select(Label.status, func.count()).where(Label.schema_name == schema_name)
                                 .group_by(Label.status)).all())


def export_dataset(
    workspace: Workspace,
    *,
    fmt: str,
    schema_name: str | None = None,
    task: str = "extraction",
    dest: str | None = None,
    s3_prefix: str | None = None,
    include_text: bool = False,
    template: str | None = None,
    llama_pages: str = "per-page",
    max_pixels: int | None = None,
    upload: bool | None = None,
    created_by: str = "curator",
    s3_client: Any | None = None,
) -> ExportResult:
    if task == "extraction" and not schema_name:
        raise ValueError("an extraction export needs --schema (e.g. invoice or w2)")
    if dest and dest.startswith("s3://"):
        s3_prefix, dest, upload = dest, None, True if upload is None else upload
    name = f"{fmt}-{task}" + (f"-{schema_name}" if task == "extraction" else "")
    folder = Path(dest) if dest else workspace.root / "exports" / name
    schema = builtin_schema(schema_name) if task == "extraction" else None
    options: dict[str, Any] = {"task": task, "schema": schema, "include_text": include_text,
                               "image_cache": workspace.blobs.root / "derived"}
    if task == "classification":
        with workspace.session() as session:
            options["classes"] = sorted(c for c in session.exec(select(Document.document_class).distinct()) if c)
    if max_pixels:
        options["max_pixels"] = max_pixels
    if template:
        if "{keys}" not in template:
            raise ValueError("a prompt template must contain {keys}, where the keys to extract are listed")
        options["template"] = template
    if fmt == "bedrock-llama32":
        options["pages"] = llama_pages
    writer = get_writer(fmt, **options)
    samples = extraction_samples(workspace, schema_name, schema) if task == "extraction" \
        else classification_samples(workspace)

    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    manifest = writer.write(samples, Destination(folder=staging, s3_prefix=s3_prefix))
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(folder)

    statuses = labels_by_status(workspace, schema_name) if schema_name else {}
    report: ValidationReport = validate_export(folder, TARGET_OF_FORMAT[fmt], schema=schema,
                                               labels_by_status=statuses)
    files = sorted(manifest.files) + ["manifest.json"]
    uploaded = upload_folder(folder, s3_prefix, files, client=s3_client) if upload and s3_prefix else []
    with workspace.session() as session:
        # The local folder; where an upload went is in the manifest (s3_prefix).
        record = Export(format=fmt, task=task, location=str(folder),
                        fingerprint=manifest.fingerprint, manifest=manifest.to_json(), created_by=created_by)
        session.add(record)
        session.commit()
        export_id = record.id
    return ExportResult(export_id=export_id, format=fmt, task=task, folder=str(folder), s3_prefix=s3_prefix,
                        fingerprint=manifest.fingerprint, counts=manifest.counts, files=files, uploaded=uploaded,
                        validation=report.to_dict())


def latest_export_folder(workspace: Workspace, fmt: str) -> Path | None:
    """The local folder of the newest export in ``fmt`` (uploaded ones keep theirs too)."""
    with workspace.session() as session:
        record = session.exec(select(Export).where(Export.format == fmt).order_by(Export.id.desc())).first()
    return None if record is None else Path(record.location)
