"""What several stages read from the store: documents' text, stored ERP records, joined sources.

The match and map stages both need them; living here, beside the store, neither stage has to
reach into the other.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from curator.store.models import Document, ErpRecord, Page
from curator.workspace import Workspace

if TYPE_CHECKING:
    from curator.mapping.rules import Mapping


def document_texts(workspace: Workspace, document_class: str | None) -> dict[str, tuple[str, str]]:
    """sha256 -> (file name, full text from the text layer, or OCR where there is none)."""
    query = select(Document.sha256, Document.file_name)
    if document_class:
        query = query.where(Document.document_class == document_class)
    with workspace.session() as session:
        names = dict(session.exec(query).all())
        texts: dict[str, list[str]] = defaultdict(list)
        page_query = select(Page.document_sha256, Page.text, Page.ocr_text).order_by(Page.document_sha256, Page.index)
        if document_class:
            page_query = page_query.join(Document).where(Document.document_class == document_class)
        for sha, text, ocr in session.exec(page_query):
            texts[sha].append(_page_text(text, ocr))
    return {sha: (name, "\n".join(texts.get(sha, []))) for sha, name in names.items()}


def _page_text(text: str, ocr: str | None) -> str:
    # OCR of a text page covers its image regions (a pasted letterhead): both count.
    return f"{text}\n{ocr}" if text.strip() and ocr else text if text.strip() else (ocr or "")


def iter_document_texts(workspace: Workspace, document_class: str | None,
                        batch: int = 2000) -> Iterator[list[tuple[str, str, str]]]:
    """Batches of (sha256, file name, text) in sha256 order: the archive a page at a time."""
    last = ""
    while True:
        query = select(Document.sha256, Document.file_name).where(Document.sha256 > last)
        if document_class:
            query = query.where(Document.document_class == document_class)
        with workspace.session() as session:
            names = session.exec(query.order_by(Document.sha256).limit(batch)).all()
        if not names:
            return
        texts = texts_of(workspace, [sha for sha, _ in names])
        yield [(sha, name, texts.get(sha, "")) for sha, name in names]
        last = names[-1][0]


def texts_of(workspace: Workspace, shas: list[str]) -> dict[str, str]:
    """sha256 -> the document's text (text layer, or OCR where there is none), for some documents."""
    parts: dict[str, list[str]] = defaultdict(list)
    with workspace.session() as session:
        for start in range(0, len(shas), 900):
            rows = session.exec(select(Page.document_sha256, Page.text, Page.ocr_text)
                                .where(col(Page.document_sha256).in_(shas[start:start + 900]))
                                .order_by(Page.document_sha256, Page.index))
            for sha, text, ocr in rows:
                parts[sha].append(_page_text(text, ocr))
    return {sha: "\n".join(pages) for sha, pages in parts.items()}


def iter_records(workspace: Workspace, source: str, batch: int = 5000) -> Iterator[list[tuple[int, str, dict[str, Any]]]]:
    """Batches of (id, natural key, row) of a record source, in id order."""
    last = 0
    while True:
        with workspace.session() as session:
            rows = session.exec(select(ErpRecord.id, ErpRecord.record_key, ErpRecord.raw)
                                .where(ErpRecord.source == source, ErpRecord.id > last)
                                .order_by(ErpRecord.id).limit(batch)).all()
        if not rows:
            return
        yield [(record_id, key, json.loads(raw)) for record_id, key, raw in rows]
        last = rows[-1][0]


def document_lines(workspace: Workspace, sha256: str) -> list[list[Any]]:
    """The stored lines (text + box) of each page of a document; an empty list for a page not read yet."""
    from curator.ingest.words import load_lines

    with workspace.session() as session:
        keys = session.exec(select(Page.words_blob).where(Page.document_sha256 == sha256).order_by(Page.index)).all()
    return [load_lines(workspace.blobs.get(key))[1] if key else [] for key in keys]


def load_records(workspace: Workspace, source: str) -> dict[int, tuple[str, dict[str, Any]]]:
    """record id -> (natural key, row) for every stored record of a source."""
    with workspace.session() as session:
        rows = session.exec(select(ErpRecord.id, ErpRecord.record_key, ErpRecord.raw).where(ErpRecord.source == source))
        return {record_id: (key, json.loads(raw)) for record_id, key, raw in rows}


def load_joins(workspace: Workspace, mapping: Mapping) -> dict[str, dict[str, dict[str, Any]]]:
    """alias -> natural key -> row, for the (small) sources a mapping joins."""
    joins = {}
    for join in mapping.joins:
        joins[join.alias] = {key: row for key, row in load_records(workspace, join.source).values()}
    return joins
