"""Which documents become training samples, streamed from the store in a stable order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from curator.blobs import BlobPage, BlobStore
from curator.labels.fieldset import field_state, project_answer
from curator.labels.paths import leaf_paths
from curator.store.models import Document, Label, LabelStatus, Page, SplitAssignment
from curator.workspace import Workspace
from exports.base import Sample

EXPORTABLE = (LabelStatus.APPROVED, LabelStatus.AUTO_ACCEPTED)
SPLIT_ORDER = {"train": 0, "validation": 1, "test": 2}


@dataclass
class FieldReport:
    """Per field of the set: in how many written samples it holds a value or is absent; and
    the samples left out because a field of the set was unknown on their label."""

    fields: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    left_out: list[dict[str, Any]] = field(default_factory=list)

    def count(self, label_fields: dict[str, dict[str, Any]]) -> None:
        for leaf in self.fields:
            state = field_state(label_fields, leaf)
            self.counts.setdefault(leaf, {"value": 0, "absent": 0, "unknown_left_out": 0})[state] += 1

    def leave_out(self, document: str, file_name: str, split: str, unknown: list[str]) -> None:
        for leaf in unknown:
            self.counts.setdefault(leaf, {"value": 0, "absent": 0, "unknown_left_out": 0})["unknown_left_out"] += 1
        self.left_out.append({"document": document, "file": file_name, "split": split,
                              "reason": "unknown: " + ", ".join(unknown)})

    def to_dict(self) -> dict[str, Any]:
        return {"fields": self.fields, "counts": {leaf: self.counts.get(leaf, {"value": 0, "absent": 0,
                                                                                "unknown_left_out": 0})
                                                  for leaf in self.fields},
                "left_out": self.left_out}


def normalised_answer(fields_json: str, schema: dict, field_set: list[str] | None = None) -> str | None:
    """The answer over the field set (every key of it present, ``null``/``[]`` only where the
    field is decided absent), keys sorted, numbers as JSON numbers, dates as ISO text: the one
    form the model learns to write. None when a field of the set is unknown on this label."""
    answer, _unknown = project_answer(schema, field_set or leaf_paths(schema), json.loads(fields_json))
    return None if answer is None else json.dumps(answer, sort_keys=True, ensure_ascii=False)


def _pages(session, sha: str, blobs: BlobStore) -> tuple[tuple[BlobPage, ...], str]:
    rows = session.exec(select(Page.blob_key, Page.text, Page.ocr_text).where(Page.document_sha256 == sha)
                        .order_by(Page.index)).all()
    text = "\n".join(t if t.strip() else (o or "") for _, t, o in rows)
    return tuple(BlobPage(blobs, key) for key, _, _ in rows), text


def extraction_samples(workspace: Workspace, schema_name: str, schema: dict, field_set: list[str] | None = None,
                       report: FieldReport | None = None) -> Iterator[Sample]:
    """Approved and auto-accepted documents with a split, answered over the field set.

    A label with an unknown field of the set is left out (and noted in ``report``): writing
    it would teach the model that a printed value is not there.
    """
    field_set = field_set or leaf_paths(schema)
    query = (select(Label.document_sha256, Label.fields, SplitAssignment.split, Document.document_class,
                    Document.file_name)
             .join(SplitAssignment, SplitAssignment.document_sha256 == Label.document_sha256)
             .join(Document, Document.sha256 == Label.document_sha256)
             .where(Label.schema_name == schema_name, col(Label.status).in_(EXPORTABLE))
             .order_by(SplitAssignment.split, Label.document_sha256))
    with workspace.session() as session:
        for sha, fields, split, document_class, file_name in _in_split_order(session, query):
            label_fields = json.loads(fields)
            answer, unknown = project_answer(schema, field_set, label_fields)
            if answer is None:
                if report is not None:
                    report.leave_out(sha, file_name, split, unknown)
                continue
            if report is not None:
                report.count(label_fields)
            pages, text = _pages(session, sha, workspace.blobs)
            yield Sample(document=sha, split=split, pages=pages,
                         answer=json.dumps(answer, sort_keys=True, ensure_ascii=False),
                         document_class=document_class, text=text, file_name=file_name)


def classification_samples(workspace: Workspace) -> Iterator[Sample]:
    """Every document with a class and a split, first page only: the document-type dataset."""
    query = (select(Document.sha256, Document.document_class, SplitAssignment.split)
             .join(SplitAssignment, SplitAssignment.document_sha256 == Document.sha256)
             .where(Document.document_class != None)
             .order_by(SplitAssignment.split, Document.sha256))
    with workspace.session() as session:
        for sha, document_class, split in _in_split_order(session, query):
            pages, text = _pages(session, sha, workspace.blobs)
            yield Sample(document=sha, split=split, pages=pages[:1], answer=document_class,
                         document_class=document_class, text=text)


def _in_split_order(session, query):
    """Stream one split after the other (train, validation, test), each in sha order."""
    for split in SPLIT_ORDER:
        filtered = query.where(SplitAssignment.split == split)
        yield from session.exec(filtered.execution_options(yield_per=500))
