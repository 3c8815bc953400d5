"""Which documents become training samples, streamed from the store in a stable order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from sqlmodel import col, select

from curator.erp.paths import build_target
from curator.store.models import Document, Label, LabelStatus, Page, SplitAssignment
from curator.workspace import Workspace
from exports.base import Sample

EXPORTABLE = (LabelStatus.APPROVED, LabelStatus.AUTO_ACCEPTED)
SPLIT_ORDER = {"train": 0, "validation": 1, "test": 2}


def normalised_answer(fields_json: str, schema: dict) -> str:
    """Every schema key present (null where unknown), keys sorted, numbers as JSON numbers,
    dates as ISO text: the one form the model learns to write."""
    values = {path: entry["value"] for path, entry in json.loads(fields_json).items()}
    return json.dumps(build_target(schema, values), sort_keys=True, ensure_ascii=False)


def _pages(session, sha: str, blob_root: Path) -> tuple[tuple[Path, ...], str]:
    rows = session.exec(select(Page.blob_key, Page.text, Page.ocr_text).where(Page.document_sha256 == sha)
                        .order_by(Page.index)).all()
    text = "\n".join(t if t.strip() else (o or "") for _, t, o in rows)
    return tuple(blob_root / key for key, _, _ in rows), text


def extraction_samples(workspace: Workspace, schema_name: str, schema: dict) -> Iterator[Sample]:
    query = (select(Label.document_sha256, Label.fields, SplitAssignment.split, Document.document_class)
             .join(SplitAssignment, SplitAssignment.document_sha256 == Label.document_sha256)
             .join(Document, Document.sha256 == Label.document_sha256)
             .where(Label.schema_name == schema_name, col(Label.status).in_(EXPORTABLE))
             .order_by(SplitAssignment.split, Label.document_sha256))
    with workspace.session() as session:
        for sha, fields, split, document_class in _in_split_order(session, query):
            pages, text = _pages(session, sha, workspace.blobs.root)
            yield Sample(document=sha, split=split, pages=pages, answer=normalised_answer(fields, schema),
                         document_class=document_class, text=text)


def classification_samples(workspace: Workspace) -> Iterator[Sample]:
    query = (select(Document.sha256, Document.document_class, SplitAssignment.split)
             .join(SplitAssignment, SplitAssignment.document_sha256 == Document.sha256)
             .where(Document.document_class != None)  # noqa: E711
             .order_by(SplitAssignment.split, Document.sha256))
    with workspace.session() as session:
        for sha, document_class, split in _in_split_order(session, query):
            pages, text = _pages(session, sha, workspace.blobs.root)
            yield Sample(document=sha, split=split, pages=pages[:1], answer=document_class,
                         document_class=document_class, text=text)


def _in_split_order(session, query):
    """Stream one split after the other (train, validation, test), each in sha order."""
    for split in SPLIT_ORDER:
        filtered = query.where(SplitAssignment.split == split)
        yield from session.exec(filtered.execution_options(yield_per=500))
