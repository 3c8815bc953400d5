"""The ``export`` stage: approved and auto-accepted labels -> a provider's dataset files.

Writes into a fresh folder and swaps it in at the end, so an interrupted export never
leaves a half-written dataset behind and stale files never linger; it replaces only a
previous export of its own (``destination``), never a folder holding anything else. Validates what it
wrote against the provider's rules, uploads to S3 when asked, and records the export with
its manifest (the sha256 of every file): the same workspace gives byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from connectors.documents.s3 import parse_s3_uri
from curator.access import Actor, require
from curator.curate.destination import (
    check_destination,
    discard_staging,
    new_staging,
    swap_in,
)
from curator.curate.fieldsets import field_set_for
from curator.curate.samples import (
    FieldReport,
    classification_samples,
    extraction_samples,
)
from curator.curate.upload import upload_folder
from curator.curate.validate import ValidationReport, validate_export
from curator.labels.fieldset import check_fields, project_schema
from curator.names import slug
from curator.progress import ProgressHook, SilentProgress
from curator.schemas.registry import schema_for
from curator.store.models import Document, Export, Label
from curator.workspace import Workspace
from exports import get_writer
from exports.base import Destination
from exports.prompts import check_template, neutralise

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
    kept_previous: str | None = None  # an invalid export did not replace the good one here
    fields: dict[str, Any] = field(default_factory=dict)  # the field set, per-field counts, samples left out

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def labels_by_status(workspace: Workspace, schema_name: str) -> dict[str, int]:
    """How many labels of a schema are in each status (for the export's and validation's report)."""
    with workspace.session() as session:
        return dict(session.exec(select(Label.status, func.count()).where(Label.schema_name == schema_name)
                                 .group_by(Label.status)).all())


class ExportRefused(ValueError):
    """Nothing to write, or nowhere safe to write it: nothing was changed or recorded."""


class _BlobCache:
    """Downscaled pages kept in the blob store under ``derived/`` (an S3 store writes nothing locally)."""

    def __init__(self, blobs) -> None:
        self.blobs = blobs

    def read(self, name: str) -> bytes | None:
        key = f"derived/{name[:2]}/{name}"
        return self.blobs.get(key) if self.blobs.exists(key) else None

    def write(self, name: str, data: bytes) -> None:
        self.blobs.put_named(f"derived/{name[:2]}/{name}", data)


def derived_cache(workspace: Workspace):
    """Where exports keep downscaled pages: beside the pages (``blobs/derived``) or in S3."""
    if workspace.blobs.root is not None:
        return workspace.blobs.root / "derived"
    return _BlobCache(workspace.blobs)


def export_dataset(
    workspace: Workspace,
    *,
    actor: Actor | str,
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
    s3_client: Any | None = None,
    fields: list[str] | None = None,
    reserved: str = "refuse",
    fold_validation: bool = False,
    progress: ProgressHook | None = None,
) -> ExportResult:
    """Write the approved and auto-accepted documents as a provider's dataset (authors and admins).

    Writes into a new folder beside the destination and puts it in place only when it is
    complete, holds samples and passes the provider's rules; the destination must be new,
    empty, or a previous export of the same format and schema (see ``destination``). A
    failed, empty or invalid export changes nothing on disk and records nothing.

    >>> export_dataset(workspace, actor="ana", fmt="swift", schema_name="w2").counts
    {'test': 3, 'train': 20, 'validation': 2}
    """
    actor = require(workspace, actor, "export")
    if task == "extraction" and not schema_name:
        raise ValueError("an extraction export needs --schema (e.g. invoice or w2)")
    if dest and dest.startswith("s3://"):
        s3_prefix, dest, upload = dest, None, True if upload is None else upload
    if s3_prefix:
        parse_s3_uri(s3_prefix)
    name = f"{fmt}-{task}" + (f"-{slug(schema_name)}" if task == "extraction" else "")
    folder = Path(dest) if dest else workspace.root / "exports" / name
    with workspace.session() as session:
        recorded = frozenset(session.exec(select(Export.location).where(Export.format == fmt)).all())
    previous = check_destination(workspace.root, folder, fmt=fmt, task=task,
                                 schema=schema_name if task == "extraction" else None, recorded=recorded)
    schema = schema_for(workspace, schema_name) if task == "extraction" else None
    report = None
    if schema is not None:
        field_set = check_fields(schema, fields) if fields else field_set_for(workspace, schema_name, schema)
        report = FieldReport(field_set)
    options: dict[str, Any] = {"task": task, "schema": project_schema(schema, field_set) if schema else None,
                               "include_text": include_text,
                               "image_cache": derived_cache(workspace),
                               "schema_name": schema_name if task == "extraction" else None}
    if task == "classification":
        with workspace.session() as session:
            options["classes"] = sorted(c for c in session.exec(select(Document.document_class).distinct()) if c)
    if max_pixels:
        options["max_pixels"] = max_pixels
    if template:
        options["template"] = check_template(template)
    options["pages"] = llama_pages  # the Llama writer's own option; the others leave it
    writer = get_writer(fmt, **options)
    samples = extraction_samples(workspace, schema_name, schema, field_set, report) if task == "extraction" \
        else classification_samples(workspace)
    if reserved not in ("refuse", "neutralise"):
        raise ValueError("--reserved must be refuse (validation names the labels to fix) or neutralise")
    if reserved == "neutralise" and task == "extraction":
        samples = (replace(sample, answer=neutralise_answer(sample.answer)) for sample in samples)
    if fold_validation:  # for targets without a validation set (Nova 2 Lite): its documents train too
        samples = (replace(sample, split="train") if sample.split == "validation" else sample for sample in samples)
    progress = progress or SilentProgress()
    if schema_name:
        statuses_now = labels_by_status(workspace, schema_name)
        progress.start(statuses_now.get("approved", 0) + statuses_now.get("auto_accepted", 0), f"export {fmt}")
    else:
        progress.start(None, f"export {fmt}")
    samples = _counted(samples, progress)

    staging = new_staging(folder)
    try:
        manifest = writer.write(samples, Destination(folder=staging, s3_prefix=s3_prefix))
        if not sum(manifest.counts.values()):
            raise ExportRefused(_nothing_to_write(workspace, task, schema_name, report))
        if report is not None:  # known once the writer has streamed every sample
            manifest.fields = report.to_dict()
        manifest.settings.update(reserved=reserved, fold_validation=fold_validation)
        (staging / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        statuses = labels_by_status(workspace, schema_name) if schema_name else {}
        validation: ValidationReport = validate_export(staging, TARGET_OF_FORMAT[fmt], schema=options["schema"],
                                                       labels_by_status=statuses)
        if validation.errors and previous is not None:
            # Never replace a good dataset with one the provider would refuse.
            return ExportResult(export_id=None, format=fmt, task=task, folder="", s3_prefix=s3_prefix,
                                fingerprint=manifest.fingerprint, counts=manifest.counts, files=[],
                                validation=validation.to_dict(), kept_previous=str(folder),
                                fields=manifest.fields)
        swap_in(staging, folder, previous)
    finally:
        discard_staging(staging)
    validation.folder = str(folder)
    files = sorted(manifest.files) + ["manifest.json"]
    uploaded = upload_folder(folder, s3_prefix, files, client=s3_client) if upload and s3_prefix else []
    with workspace.session() as session:
        # The local folder; where an upload went is in the manifest (s3_prefix).
        record = Export(format=fmt, task=task, location=str(folder),
                        fingerprint=manifest.fingerprint, manifest=manifest.to_json(), created_by=actor.name)
        session.add(record)
        session.commit()
        export_id = record.id
    return ExportResult(export_id=export_id, format=fmt, task=task, folder=str(folder), s3_prefix=s3_prefix,
                        fingerprint=manifest.fingerprint, counts=manifest.counts, files=files, uploaded=uploaded,
                        validation=validation.to_dict(), fields=manifest.fields)


def _counted(samples, progress: ProgressHook):
    for sample in samples:
        yield sample
        progress.advance()


def neutralise_answer(answer: str) -> str:
    """The answer with Bedrock's reserved strings defused in every text value (``User:`` ->
    ``User -``), the documented remedy when a label must keep such text."""
    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return neutralise(value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    return json.dumps(walk(json.loads(answer)), sort_keys=True, ensure_ascii=False)


def _nothing_to_write(workspace: Workspace, task: str, schema_name: str | None, report: FieldReport | None) -> str:
    if task == "classification":
        return "nothing to export: no document has a class and a split yet (run curator split)"
    statuses = labels_by_status(workspace, schema_name)
    ready = statuses.get("approved", 0) + statuses.get("auto_accepted", 0)
    if not ready:
        return (f"nothing to export: no approved or auto-accepted {schema_name} labels "
                f"(labels by status: {statuses or 'none'}); run curator triage or review them")
    if report is not None and report.left_out:
        return (f"nothing to export: all {len(report.left_out)} approved {schema_name} documents with a split have "
                f"unknown fields of the field set (first: {report.left_out[0]['reason']}); fill them (curator "
                "annotate, review) or choose the fields (curator fields suggest --schema ... --save, or --fields)")
    return f"nothing to export: the {ready} approved {schema_name} documents have no split yet (run curator split)"


def latest_export_folder(workspace: Workspace, fmt: str, schema_name: str | None = None) -> Path | None:
    """The local folder of the newest export in ``fmt`` -- of ``schema_name`` when given, so
    validating the W-2 dataset never checks the invoice one (uploaded exports keep theirs too)."""
    with workspace.session() as session:
        records = session.exec(select(Export.location, Export.manifest).where(Export.format == fmt)
                               .order_by(Export.id.desc()))
        for location, manifest in records:
            if schema_name is None or json.loads(manifest).get("schema", _legacy_schema(location)) == schema_name:
                return Path(location)
    return None


def _legacy_schema(location: str) -> str | None:
    """Manifests of earlier releases name no schema; their default folder did (``swift-extraction-w2``)."""
    name = Path(location).name
    return name.split("-extraction-", 1)[1] if "-extraction-" in name else None
