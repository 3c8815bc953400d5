"""Ingest and OCR as Ray tasks (a local Ray runtime started by the test) give the same
documents, pages and words as this machine's process pool."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from connectors.documents import FolderSource
from curator.cli import app
from curator.ingest.documents import ingest_documents
from curator.ingest.words import load_lines
from curator.store.models import Document, Page
from curator.workspace import init_workspace

ray = pytest.importorskip("ray")


def _pages(ws) -> list[tuple]:
    with ws.session() as session:
        rows = session.exec(select(Document.sha256, Document.file_name, Page.index, Page.blob_key, Page.phash,
                                   Page.needs_ocr, Page.words_blob).join(Page)).all()
    return sorted((sha, name, index, blob, phash, needs_ocr,
                   tuple(line.text for line in load_lines(ws.blobs.get(words))[1]) if words else None)
                  for sha, name, index, blob, phash, needs_ocr, words in rows)


def test_ray_engine_gives_the_same_documents_pages_and_words(tmp_path, small_corpora):
    folder = tmp_path / "docs"
    folder.mkdir()
    chosen = sorted((small_corpora["invoices"] / "documents").iterdir())[:10]
    for path in chosen:
        shutil.copy(path, folder / path.name)
    local = init_workspace(tmp_path / "local")
    by_pool = ingest_documents(local, FolderSource(folder), document_class="invoice", actor="admin")
    try:
        result = CliRunner().invoke(app, ["init", str(tmp_path / "ray")])
        assert result.exit_code == 0
        result = CliRunner().invoke(app, ["-w", str(tmp_path / "ray"), "ingest", "docs", str(folder), "--class",
                                          "invoice", "--engine", "ray", "--workers", "2", "--json"])
        assert result.exit_code in (0, 1), result.output
        by_ray = json.loads(result.stdout)
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert by_ray["documents_added"] == by_pool.documents_added > 0
    assert by_ray["pages_read"]["pages"] == by_pool.pages_read["pages"] > 0  # the scans were OCR'd on Ray
    from curator.workspace import open_workspace
    on_ray = open_workspace(tmp_path / "ray")
    try:
        assert _pages(on_ray) == _pages(local)  # same hashes, page images, words
    finally:
        on_ray.close()
        local.close()
