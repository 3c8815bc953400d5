"""``curator labelstudio push``: documents to Label Studio tasks, current labels as predictions.

The project's labeling interface is generated from the target schema (created, or updated when
the schema changed). Page images are served by a Local Files storage (the blob store must lie
under Label Studio's document root) or from S3 (uploaded once, content-addressed; a workspace
whose blobs are in S3 is read in place, Label Studio presigning each page's URL). Tasks go in
chunks; the document-to-task mapping is stored, so pushing again only adds new documents and
replaces the prediction of labels that changed since; nothing is duplicated.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from curator.access import Actor, require
from curator.blobs import S3BlobStore
from curator.ingest.words import load_lines
from curator.labelstudio.client import LabelStudioError, call, find_project
from curator.labelstudio.interface import build_interface
from curator.labelstudio.results import ocr_region_results, prediction_results
from curator.progress import ProgressHook, SilentProgress
from curator.schemas.registry import schema_for
from curator.store.models import Document, Label, LabelStatus, LabelStudioTask, Page
from curator.workspace import Workspace

DOCUMENT_CLASSES = ["invoice", "w2"]


@dataclass
class PushReport:
    project_id: int
    project_created: bool = False
    config_updated: bool = False
    tasks_created: int = 0
    predictions_updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_version(fields: dict[str, dict[str, Any]]) -> str:
    """Which sources the prediction holds: ``erp``, ``teacher:<model>``, ``human``, joined by ``+``."""
    parts = set()
    for entry in fields.values():
        source = entry.get("source")
        if source == "teacher":
            parts.add(f"teacher:{entry.get('agent') or 'unknown'}")
        elif source in ("erp", "human", "rule"):
            parts.add(source)
    return "+".join(sorted(parts)) or "empty"


def find_or_create_project(client, url: str, title: str, config: str, report: PushReport | None = None) -> int:
    project = find_project(client, url, title)
    if project is not None:
        if (project.label_config or "").strip() != config.strip():
            call(url, client.projects.update, id=project.id, label_config=config)
            if report:
                report.config_updated = True
        return project.id
    project = call(url, client.projects.create, title=title, label_config=config,
                   description="Created by Curator: predictions come from the ERP bootstrap and the teacher.")
    if report:
        report.project_created = True
    return project.id


class PageUrls:
    """Where Label Studio finds a page image: a Local Files URL, or an S3 object."""

    def __init__(self, client, url: str, project_id: int, workspace: Workspace, storage: str | None,
                 local_root: str | None = None, s3_prefix: str | None = None, s3_client: Any = None,
                 s3_endpoint: str | None = None) -> None:
        if storage is None:  # the blob store says where pages are: S3 objects, or a folder
            storage = "s3" if isinstance(workspace.blobs, S3BlobStore) else "local"
        self.workspace, self.storage = workspace, storage
        self.uploaded: set[str] = set()
        self.in_place = False
        if storage == "local":
            root = local_root or os.environ.get("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT")
            if not root:
                raise LabelStudioError("local storage needs --local-root (Label Studio's "
                                       "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT)")
            self.root = Path(root).resolve()
            if workspace.blobs.root is None:
                raise LabelStudioError(f"the blob store is {workspace.blobs.url}: Label Studio's local files cannot "
                                       "serve it; push with --storage s3 (Label Studio reads the workspace's bucket)")
            blobs = workspace.blobs.root.resolve()
            if self.root != blobs and self.root not in blobs.parents:
                raise LabelStudioError(f"the blob store {blobs} is not under Label Studio's document root {self.root}: "
                                       "start Label Studio with LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT set to a "
                                       "folder that contains the workspace")
            existing = call(url, client.import_storage.local.list, project=project_id)
            if not any(Path(s.path).resolve() == blobs for s in existing):
                call(url, client.import_storage.local.create, project=project_id, path=str(blobs), use_blob_urls=True,
                     regex_filter="^$", title="Curator page images")
        elif storage == "s3":
            from connectors.documents.s3 import parse_s3_uri

            blobs = workspace.blobs
            # A workspace whose blobs are in S3 already holds every page there: Label Studio reads
            # (and presigns) the workspace's own objects, nothing is copied.
            self.in_place = isinstance(blobs, S3BlobStore) and (
                not s3_prefix or s3_prefix.rstrip("/") == blobs.url)
            if self.in_place:
                s3_prefix = blobs.url
                s3_client = s3_client or blobs.client
            if not s3_prefix:
                raise LabelStudioError("S3 storage needs --s3 s3://bucket/prefix")
            self.bucket, prefix = parse_s3_uri(s3_prefix)
            self.prefix = prefix.strip("/")
            if s3_client is None:
                import boto3

                s3_client = boto3.client("s3")
            self.s3 = s3_client
            # Label Studio checks that the prefix holds objects when the storage is created:
            # it is created after the first page is uploaded.
            self._storage = (client, url, project_id, s3_endpoint)
            self._storage_ready = False
        else:
            raise LabelStudioError(f"storage must be local or s3, got {storage!r}")

    def url(self, blob_key: str) -> str:
        if self.storage == "local":
            path = self.workspace.blobs.path(blob_key).resolve()
            return f"/data/local-files/?d={path.relative_to(self.root).as_posix()}"
        if self.in_place:  # the workspace's own object: nothing to upload
            key = self.workspace.blobs.object_key(blob_key)
        else:
            key = f"{self.prefix}/pages/{blob_key}" if self.prefix else f"pages/{blob_key}"
            if key not in self.uploaded:
                try:
                    self.s3.head_object(Bucket=self.bucket, Key=key)
                except Exception:  # noqa: BLE001 - absent (or unreadable): upload
                    self.s3.put_object(Bucket=self.bucket, Key=key, Body=self.workspace.blobs.get(blob_key))
                self.uploaded.add(key)
        if not self._storage_ready:
            self._create_s3_storage()
        return f"s3://{self.bucket}/{key}"

    def _create_s3_storage(self) -> None:
        client, url, project_id, s3_endpoint = self._storage
        existing = call(url, client.import_storage.s3.list, project=project_id)
        if not any(s.bucket == self.bucket and (s.prefix or "") == self.prefix for s in existing):
            # Label Studio presigns the page URLs with its own credentials: its IAM role, or the
            # keys named in LABEL_STUDIO_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY (never ours silently).
            keys = {"aws_access_key_id": os.environ.get("LABEL_STUDIO_S3_ACCESS_KEY_ID"),
                    "aws_secret_access_key": os.environ.get("LABEL_STUDIO_S3_SECRET_ACCESS_KEY")}
            call(url, client.import_storage.s3.create, project=project_id, bucket=self.bucket, prefix=self.prefix,
                 presign=True, use_blob_urls=True, regex_filter="^$", title="Curator page images",
                 **({"s3endpoint": s3_endpoint} if s3_endpoint else {}), **({k: v for k, v in keys.items() if v}))
        self._storage_ready = True


def push(workspace: Workspace, client, url: str, *, actor: Actor | str, project: str, schema_name: str,
         statuses: tuple[str, ...] = (LabelStatus.NEEDS_REVIEW,), storage: str | None = None,
         local_root: str | None = None, s3_prefix: str | None = None, s3_client: Any = None,
         s3_endpoint: str | None = None, chunk_size: int = 500, progress: ProgressHook | None = None) -> PushReport:
    """Send the labels to review to a Label Studio project, with predictions (authors)."""
    require(workspace, actor, "sync")
    started = time.perf_counter()
    schema = schema_for(workspace, schema_name)
    interface = build_interface(schema, DOCUMENT_CLASSES)
    report = PushReport(project_id=0)
    report.project_id = project_id = find_or_create_project(client, url, project, interface.config, report)
    pages = PageUrls(client, url, project_id, workspace, storage, local_root, s3_prefix, s3_client, s3_endpoint)
    with workspace.session() as session:
        known = {t.document_sha256: t for t in session.exec(select(LabelStudioTask).where(
            LabelStudioTask.server == url, LabelStudioTask.project_id == project_id))}
        labels = session.exec(select(Label, Document).join(Document, Document.sha256 == Label.document_sha256)
                              .where(Label.schema_name == schema_name, col(Label.status).in_(statuses))
                              .order_by(Label.id)).all()
    progress = progress or SilentProgress()
    progress.start(len(labels), f"push to {project}")
    batch: list[tuple[Label, Document]] = []
    for label, document in labels:
        mapped = known.get(document.sha256)
        if mapped is None:
            batch.append((label, document))
            if len(batch) >= chunk_size:
                _create_tasks(workspace, client, url, project_id, batch, interface, pages, report)
                progress.advance(len(batch))
                batch = []
            continue
        if mapped.pushed_version != label.version:
            _replace_prediction(workspace, client, url, mapped, label, document, interface)
            report.predictions_updated += 1
        else:
            report.unchanged += 1
        progress.advance()
    if batch:
        _create_tasks(workspace, client, url, project_id, batch, interface, pages, report)
        progress.advance(len(batch))
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _prediction(workspace: Workspace, label: Label, document: Document, interface,
                pages: list[tuple[str, int, int, str | None]]) -> dict[str, Any]:
    """The label's values, and the text regions OCR (or the text layer) found on each page:
    Label Studio's OCR template (a Rectangle and its per-region TextArea), so annotators see
    the same boxes as in Curator's own review UI."""
    fields = json.loads(label.fields)
    regions = ocr_region_results([load_lines(workspace.blobs.get(words))[1] if words else []
                                  for _, _, _, words in pages], [(width, height) for _, width, height, _ in pages])
    return {"model_version": model_version(fields), "score": label.score if label.score is not None else 1.0,
            "result": prediction_results(fields, interface, document.document_class) + regions}


def _page_keys(workspace: Workspace, documents: list[str]) -> dict[str, list[tuple[str, int, int, str | None]]]:
    """The pages of a chunk of documents (image key, size, words key), in page order: one query per chunk."""
    keys: dict[str, list[tuple[str, int, int, str | None]]] = {sha: [] for sha in documents}
    with workspace.session() as session:
        for sha, key, width, height, words in session.exec(
                select(Page.document_sha256, Page.blob_key, Page.width, Page.height, Page.words_blob)
                .where(col(Page.document_sha256).in_(documents)).order_by(Page.index)):
            keys[sha].append((key, width, height, words))
    return keys


def _task(workspace: Workspace, label: Label, document: Document, keys: list[tuple[str, int, int, str | None]],
          interface, pages: PageUrls) -> dict[str, Any]:
    return {"data": {"pages": [pages.url(k[0]) for k in keys], "file_name": document.file_name,
                     "document": document.sha256, "curator_label": label.id},
            "predictions": [_prediction(workspace, label, document, interface, keys)]}


def _create_tasks(workspace: Workspace, client, url: str, project_id: int, batch, interface, pages: PageUrls,
                  report: PushReport) -> None:
    keys = _page_keys(workspace, [document.sha256 for _, document in batch])
    payload = [_task(workspace, label, document, keys[document.sha256], interface, pages) for label, document in batch]
    response = call(url, client.projects.import_tasks, id=project_id, request=payload, return_task_ids=True)
    task_ids = list(response.task_ids or [])
    if len(task_ids) != len(batch):
        raise LabelStudioError(f"Label Studio created {len(task_ids)} tasks for {len(batch)} documents")
    with workspace.session() as session:
        for (label, document), task_id in zip(batch, task_ids):
            session.add(LabelStudioTask(server=url, project_id=project_id, document_sha256=document.sha256,
                                        label_id=label.id, task_id=task_id, pushed_version=label.version))
        session.commit()
    report.tasks_created += len(batch)
    report.chunks += 1


def _replace_prediction(workspace: Workspace, client, url: str, mapped: LabelStudioTask, label: Label,
                        document: Document, interface) -> None:
    prediction = _prediction(workspace, label, document, interface, _page_keys(workspace, [document.sha256])[document.sha256])
    for old in call(url, client.predictions.list, task=mapped.task_id):
        call(url, client.predictions.delete, id=old.id)
    created = call(url, client.predictions.create, task=mapped.task_id, result=prediction["result"],
                   model_version=prediction["model_version"], score=prediction["score"])
    with workspace.session() as session:
        row = session.get(LabelStudioTask, mapped.id)
        row.prediction_id, row.pushed_version = created.id, label.version
        session.add(row)
        session.commit()
