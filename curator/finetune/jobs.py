"""The store side of fine-tuning jobs: choosing the export, recording and listing jobs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import select

from curator.curate.validate import validate_export
from curator.store.models import Export, FineTuneJob, utcnow
from curator.workspace import Workspace


class FinetuneError(RuntimeError):
    """A fine-tuning step cannot go on; the message says why and what to do."""


@dataclass
class ChosenExport:
    id: int
    folder: Path
    manifest: dict[str, Any]

    @property
    def s3_prefix(self) -> str | None:
        return self.manifest.get("s3_prefix")

    @property
    def counts(self) -> dict[str, int]:
        return self.manifest.get("counts", {})

    @property
    def files(self) -> list[str]:
        return sorted(self.manifest.get("files", {})) + ["manifest.json"]


def choose_export(workspace: Workspace, export: str, fmt: str) -> ChosenExport:
    """``latest`` (the newest export in ``fmt``) or an export id."""
    with workspace.session() as session:
        if export == "latest":
            record = session.exec(select(Export).where(Export.format == fmt).order_by(Export.id.desc())).first()
            if record is None:
                raise FinetuneError(f"no {fmt} export yet: run `curator export --format {fmt} ...` first")
        else:
            try:
                record = session.get(Export, int(export))
            except ValueError:
                raise FinetuneError(f"--export takes an export id or 'latest', got {export!r}") from None
            if record is None:
                raise FinetuneError(f"no export {export}")
            if record.format != fmt:
                raise FinetuneError(f"export {export} is {record.format}; this model needs a {fmt} export")
    return ChosenExport(record.id, Path(record.location), json.loads(record.manifest))


def check_export(chosen: ChosenExport, target: str) -> dict[str, Any]:
    report = validate_export(chosen.folder, target)
    if report.errors:
        raise FinetuneError(f"export {chosen.id} is not valid for {target}: " + "; ".join(report.errors[:5]))
    return report.to_dict()


def record_job(workspace: Workspace, **values: Any) -> FineTuneJob:
    with workspace.session() as session:
        existing = session.exec(select(FineTuneJob.id).where(FineTuneJob.name == values["name"])).first()
        if existing is None:
            job = FineTuneJob(**values)
            session.add(job)
            session.commit()
            session.refresh(job)
            return job
    return update_job(workspace, existing, **values)  # the same submission again: refresh what we know


def get_job(workspace: Workspace, name: str) -> FineTuneJob:
    with workspace.session() as session:
        job = session.exec(select(FineTuneJob).where(FineTuneJob.name == name)).first()
        if job is None and name.isdigit():
            job = session.get(FineTuneJob, int(name))
    if job is None:
        raise FinetuneError(f"no fine-tuning job {name!r}: see `curator finetune list`")
    return job


def list_jobs(workspace: Workspace) -> list[FineTuneJob]:
    with workspace.session() as session:
        return list(session.exec(select(FineTuneJob).order_by(FineTuneJob.id.desc())))


def update_job(workspace: Workspace, job_id: int, **values: Any) -> FineTuneJob:
    with workspace.session() as session:
        job = session.get(FineTuneJob, job_id)
        for key, value in values.items():
            setattr(job, key, value)
        job.updated_at = utcnow()
        session.add(job)
        session.commit()
        session.refresh(job)
        return job
