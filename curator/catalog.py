"""Read-side queries over ingested documents, shared by the CLI, the UI and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import select

from curator.quarantine import list_quarantine
from curator.store.models import Document, Page, QuarantineEntry
from curator.workspace import Workspace
from curator.sensitive import redact_text


class NotFound(LookupError):
    pass


def document_summary(document: Document) -> dict[str, Any]:
    return {
        "sha256": document.sha256,
        "file_name": document.file_name,
        "source_uri": document.source_uri,
        "mime": document.mime,
        "size_bytes": document.size_bytes,
        "page_count": document.page_count,
        "document_class": document.document_class,
        "status": document.status,
        "text_chars": document.text_chars,
        "created_at": document.created_at.isoformat() if document.created_at else None,
    }


def list_documents(
    workspace: Workspace,
    *,
    status: str | None = None,
    document_class: str | None = None,
    limit: int | None = None,
) -> list[Document]:
    query = select(Document).order_by(Document.file_name, Document.sha256)
    if status:
        query = query.where(Document.status == status)
    if document_class:
        query = query.where(Document.document_class == document_class)
    if limit:
        query = query.limit(limit)
    with workspace.session() as session:
        return list(session.exec(query))


@dataclass
class DocumentDetail:
    document: Document
    pages: list[Page]

    def to_dict(self, *, with_text: bool = False) -> dict[str, Any]:
        data = document_summary(self.document)
        data["original_blob"] = self.document.original_blob
        data["pages"] = [
            {
                "index": page.index,
                "blob_key": page.blob_key,
                "width": page.width,
                "height": page.height,
                "dpi": page.dpi,
                "phash": page.phash,
                "needs_ocr": page.needs_ocr,
                "text_chars": len(page.text),
                "ocr_chars": len(page.ocr_text or ""),
                "words_read": page.words_blob is not None,
                **({"text": page.text, "ocr_text": page.ocr_text} if with_text else {}),
            }
            for page in self.pages
        ]
        return data


def find_document(workspace: Workspace, ref: str) -> DocumentDetail:
    """Find a document by sha256 (or a unique prefix of at least 6 characters) or file name."""
    with workspace.session() as session:
        conditions = [Document.file_name == ref]
        if len(ref) >= 6 and all(c in "0123456789abcdef" for c in ref.lower()):
            conditions.append(Document.sha256.startswith(ref.lower()))
        matches = list(session.exec(select(Document).where(or_(*conditions)).limit(3)))
        if not matches:
            raise NotFound(f"no document matches {ref!r}")
        if len(matches) > 1:
            raise NotFound(f"{ref!r} matches several documents; give more of the sha256")
        document = matches[0]
        pages = list(session.exec(select(Page).where(Page.document_sha256 == document.sha256).order_by(Page.index)))
        return DocumentDetail(document=document, pages=pages)


def quarantined(workspace: Workspace, stage: str | None = None) -> list[QuarantineEntry]:
    with workspace.session() as session:
        return list_quarantine(session, stage)


def quarantine_summary(entry: QuarantineEntry) -> dict[str, Any]:
    return {
        "stage": entry.stage,
        "file_name": entry.file_name,
        "source_uri": entry.source_uri,
        "reason": entry.reason,
        "detail": redact_text(entry.detail),  # entries written before masking are masked when read
        "sha256": entry.sha256,
        "kept_as": entry.blob_key,
        "occurrences": entry.occurrences,
        "first_seen": entry.first_seen.isoformat() if entry.first_seen else None,
        "last_seen": entry.last_seen.isoformat() if entry.last_seen else None,
    }


def document_counts(workspace: Workspace) -> dict[str, Any]:
    with workspace.session() as session:
        by_class = dict(session.exec(select(Document.document_class, func.count()).group_by(Document.document_class)).all())
        by_status = dict(session.exec(select(Document.status, func.count()).group_by(Document.status)).all())
        pages = session.exec(select(func.count()).select_from(Page)).one()
        quarantine = session.exec(select(func.count()).select_from(QuarantineEntry)).one()
    return {
        "documents": sum(by_status.values()),
        "pages": pages,
        "by_class": {str(k): v for k, v in by_class.items()},
        "by_status": by_status,
        "quarantined": quarantine,
    }
