"""Document ingest on both stores: rendering, identity, resumability and bad input."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from PIL import Image
from sqlmodel import func, select

import badfiles
from connectors.documents import FolderSource, S3Source
from curator.catalog import find_document, quarantined
from curator.config import save_config
from curator.ingest.documents import ingest_documents
from curator.store.models import Document, Page, SourceFile
from curator.workspace import open_workspace



def _count(workspace, model) -> int:
    with workspace.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_ingest_corpus_renders_every_page(workspace, small_corpora):
    source = FolderSource(small_corpora["invoices"] / "documents")
    files = sorted((small_corpora["invoices"] / "documents").iterdir())
    report = ingest_documents(workspace, source, document_class="invoice", actor="admin")
    assert report.ok, report.problems
    assert report.documents_added == len(files) == _count(workspace, Document)
    assert report.pages_rendered == _count(workspace, Page) >= len(files)
    with workspace.session() as session:
        pages = list(session.exec(select(Page)))
        documents = list(session.exec(select(Document)))
    for page in pages:
        image = Image.open(workspace.blobs.path(page.blob_key))
        assert image.format == "PNG" and image.size == (page.width, page.height)
        assert page.width * page.height <= workspace.config.ingest.max_pixels
        assert len(page.phash) == 16
    assert {d.document_class for d in documents} == {"invoice"}
    labels = [json.loads(line) for line in (small_corpora["invoices"] / "truth" / "labels.jsonl").open()]
    by_name = {d.file_name: d for d in documents}
    for entry in labels:
        detail = find_document(workspace, entry["file"])
        text = "\n".join(page.text for page in detail.pages)
        if detail.document.status == "needs_ocr":
            assert all(page.needs_ocr and page.text == "" for page in detail.pages)
        else:
            assert entry["label"]["invoice_number"] in text  # the text layer is extracted
    scanned = [d for d in by_name.values() if d.status == "needs_ocr"]
    assert scanned, "the noisy corpus has image-only documents, flagged for OCR"
    assert all(workspace.blobs.exists(d.original_blob) for d in documents)


def test_same_content_twice_is_one_document_and_rerun_is_a_no_op(workspace, tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    badfiles.good_pdf(docs / "a.pdf", "first")
    shutil.copy(docs / "a.pdf", docs / "sub" / "copy-of-a.pdf")
    badfiles.good_pdf(docs / "b.pdf", "second", pages=2)
    first = ingest_documents(workspace, FolderSource(docs), actor="admin")
    assert (first.documents_added, first.duplicates, first.pages_rendered) == (2, 1, 3)
    second = ingest_documents(workspace, FolderSource(docs), actor="admin")
    assert (second.documents_added, second.unchanged, second.pages_rendered) == (0, 3, 0)
    assert _count(workspace, Document) == 2 and _count(workspace, Page) == 3
    assert _count(workspace, SourceFile) == 3


def test_multipage_tiff_and_images(workspace, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    badfiles.multipage_tiff(docs / "scan.tif", pages=3)
    Image.new("RGB", (640, 480), "white").save(docs / "photo.jpg", dpi=(72, 72))
    Image.new("RGBA", (300, 300), (255, 0, 0, 128)).save(docs / "logo.png")
    report = ingest_documents(workspace, FolderSource(docs), actor="admin")
    assert report.ok and report.documents_added == 3 and report.pages_rendered == 5
    tiff = find_document(workspace, "scan.tif")
    assert tiff.document.mime == "image/tiff" and tiff.document.page_count == 3
    assert [p.dpi for p in tiff.pages] == [100, 100, 100]
    assert all(p.needs_ocr for p in tiff.pages)


def test_huge_pages_are_capped(workspace, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    badfiles.good_pdf(docs / "poster.pdf", "poster", size=(7200, 7200))  # 100 x 100 inches
    report = ingest_documents(workspace, FolderSource(docs), dpi=300, actor="admin")
    assert report.ok
    page = find_document(workspace, "poster.pdf").pages[0]
    assert page.width * page.height <= workspace.config.ingest.max_pixels
    assert page.width > 1500 and page.dpi < 300


def test_pdf2image_renderer_matches_pypdfium2(workspace, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed (make test installs it)")
    docs_a, docs_b = tmp_path / "a", tmp_path / "b"
    docs_a.mkdir(), docs_b.mkdir()
    badfiles.good_pdf(docs_a / "one.pdf", "rendered by pdfium")
    badfiles.good_pdf(docs_b / "two.pdf", "rendered by poppler")
    ingest_documents(workspace, FolderSource(docs_a), renderer="pypdfium2", actor="admin")
    ingest_documents(workspace, FolderSource(docs_b), renderer="pdf2image", actor="admin")
    one, two = find_document(workspace, "one.pdf"), find_document(workspace, "two.pdf")
    assert two.document.renderer == "pdf2image"
    assert abs(one.pages[0].width - two.pages[0].width) <= 2
    assert "rendered by poppler" in two.pages[0].text


def _make_bad_batch(docs: Path) -> dict[str, str]:
    """Every kind of bad input next to two good files; returns file name -> expected reason."""
    docs.mkdir(parents=True, exist_ok=True)
    good = badfiles.good_pdf(docs / "good.pdf", "fine")
    badfiles.good_pdf(docs / "also-good.pdf", "also fine")
    expected = {
        "corrupt.pdf": "corrupt",
        "truncated.pdf": "truncated",
        "encrypted.pdf": "encrypted",
        "zero-pages.pdf": "no_pages",
        "bomb.png": "decompression_bomb",
        "broken.png": "truncated",
        "report.docx": "unsupported_type",
        "notes.pdf": "unsupported_type",  # a text file with a .pdf name
        "empty.pdf": "empty",
        "evil\x1b[31mname.pdf": "unsafe_name",
        "line\nbreak.pdf": "unsafe_name",
        "escape.pdf": "unsafe_name",
    }
    badfiles.corrupt_pdf(docs / "corrupt.pdf")
    badfiles.truncated_pdf(docs / "truncated.pdf", good)
    badfiles.encrypted_pdf(docs / "encrypted.pdf")
    badfiles.zero_page_pdf(docs / "zero-pages.pdf")
    badfiles.png_claiming_size(docs / "bomb.png", 100_000, 100_000)
    badfiles.truncated_png(docs / "broken.png")
    badfiles.docx_like(docs / "report.docx")
    (docs / "notes.pdf").write_text("just some text, not a PDF\n")
    (docs / "empty.pdf").write_bytes(b"")
    badfiles.good_pdf(docs / "evil\x1b[31mname.pdf", "hostile name")
    badfiles.good_pdf(docs / "line\nbreak.pdf", "newline in name")
    outside = docs.parent / "outside-secret.pdf"
    badfiles.good_pdf(outside, "outside the source folder")
    os.symlink(outside, docs / "escape.pdf")
    return expected


def test_bad_input_is_quarantined_and_the_rest_goes_on(workspace, tmp_path):
    expected = _make_bad_batch(tmp_path / "docs")
    report = ingest_documents(workspace, FolderSource(tmp_path / "docs"), actor="admin")
    assert report.documents_added == 2 and _count(workspace, Document) == 2
    entries = {e.source_uri.rsplit("/", 1)[-1]: e for e in quarantined(workspace, "ingest")}
    assert {name: entry.reason for name, entry in entries.items()} == expected
    assert report.quarantined == len(expected) and not report.ok
    for entry in entries.values():
        assert entry.detail and all(ch.isprintable() for ch in entry.file_name)
    # nothing lost: the bad bytes are kept (but never a file outside the source)
    assert workspace.blobs.exists(entries["corrupt.pdf"].blob_key)
    assert entries["escape.pdf"].blob_key is None
    assert "outside" in entries["escape.pdf"].detail
    # a second run reports the same problems without doubling the quarantine
    again = ingest_documents(workspace, FolderSource(tmp_path / "docs"), actor="admin")
    assert again.quarantined == len(expected) and again.documents_added == 0
    assert len(quarantined(workspace)) == len(expected)
    assert max(e.occurrences for e in quarantined(workspace)) == 1  # unchanged files are not re-read


def test_fixed_file_leaves_the_quarantine(workspace, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    badfiles.corrupt_pdf(docs / "later-fixed.pdf")
    assert ingest_documents(workspace, FolderSource(docs), actor="admin").quarantined == 1
    time.sleep(0.01)
    badfiles.good_pdf(docs / "later-fixed.pdf", "repaired")
    report = ingest_documents(workspace, FolderSource(docs), actor="admin")
    assert report.ok and report.documents_added == 1
    assert quarantined(workspace) == []


def test_decompression_bomb_by_pixel_count(workspace, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    Image.new("L", (2500, 2500), 255).save(docs / "large.png")
    workspace.config.ingest.max_source_pixels = 5_000_000
    report = ingest_documents(workspace, FolderSource(docs), actor="admin")
    assert [p.reason for p in report.problems] == ["decompression_bomb"]


def test_worker_crash_is_pinned_on_the_file(workspace, tmp_path):
    from crashing_renderer import render_or_die

    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(4):
        badfiles.good_pdf(docs / f"ok-{i}.pdf", f"fine {i}")
    badfiles.good_pdf(docs / "killer.pdf", "this one kills its worker")
    report = ingest_documents(workspace, FolderSource(docs), workers=2, render=render_or_die, actor="admin")
    assert report.documents_added == 4
    assert [(p.file, p.reason) for p in report.problems] == [("killer.pdf", "renderer_crash")]


def test_two_workers_give_the_same_result(tmp_path, small_corpora):
    from curator.workspace import init_workspace

    results = []
    for workers in (1, 2):
        ws = init_workspace(tmp_path / f"ws{workers}")
        ingest_documents(ws, FolderSource(small_corpora["w2"] / "documents"), workers=workers, actor="admin")
        with ws.session() as session:
            results.append(sorted((p.document_sha256, p.index, p.blob_key, p.phash) for p in session.exec(select(Page))))
        ws.close()
    assert results[0] == results[1] and results[0]


@mock_aws
def test_ingest_from_s3(workspace, tmp_path, monkeypatch, small_corpora):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="archive")
    documents = sorted((small_corpora["w2"] / "documents").iterdir())[:6]
    for path in documents:
        s3.upload_file(str(path), "archive", f"w2/2019/{path.name}")
    s3.put_object(Bucket="archive", Key="w2/2019/../../../etc/passwd.pdf", Body=b"%PDF-1.4 nope")
    s3.put_object(Bucket="archive", Key="w2/2019/folder/", Body=b"")
    source = S3Source.from_uri("s3://archive/w2/", client=s3)
    report = ingest_documents(workspace, source, document_class="w2", actor="admin")
    assert report.documents_added == len(documents)
    assert [p.reason for p in report.problems] == ["unsafe_name"]
    with workspace.session() as session:
        uris = sorted(d.source_uri for d in session.exec(select(Document)))
    assert all(uri.startswith("s3://archive/w2/2019/") for uri in uris)
    assert not list((workspace.root / ".spool").rglob("*.*"))  # spooled copies are cleaned up
    rerun = ingest_documents(workspace, source, actor="admin")
    assert rerun.unchanged == len(documents) and rerun.documents_added == 0


def _slow_ingest_config(workspace) -> None:
    workspace.config.ingest.max_pixels = 30_000_000
    workspace.config.ingest.png_compress_level = 9
    workspace.config.ingest.workers = 1
    save_config(workspace.root, workspace.config)


def test_kill_minus_nine_then_resume_redoes_nothing(workspace, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(12):
        badfiles.good_pdf(docs / f"doc-{i:02d}.pdf", f"document {i}", pages=2)
    _slow_ingest_config(workspace)
    command = [sys.executable, "-m", "curator.cli", "-w", str(workspace.root), "ingest", "docs", str(docs),
               "--dpi", "400", "--json"]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    done_before_kill = 0
    while time.monotonic() < deadline and done_before_kill < 3:
        time.sleep(0.2)
        done_before_kill = _count(workspace, Document)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before_kill = _count(workspace, Document)
    assert 3 <= done_before_kill < 12, "the kill must land in the middle of the run"
    fresh = open_workspace(workspace.root)
    report = ingest_documents(fresh, FolderSource(docs), actor="admin")
    assert report.documents_added == 12 - done_before_kill  # finished documents are not rendered again
    assert report.unchanged == done_before_kill
    assert _count(fresh, Document) == 12 and _count(fresh, Page) == 24 and _count(fresh, SourceFile) == 12
    fresh.close()


def test_colourless_pages_are_stored_grey_and_colour_is_kept(workspace, tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    docs = tmp_path / "docs"
    docs.mkdir()
    badfiles.good_pdf(docs / "black.pdf", "black text only")
    canvas = Canvas(str(docs / "stamp.pdf"), invariant=1)
    canvas.drawString(72, 720, "approved")
    canvas.setStrokeColorRGB(0.7, 0.1, 0.1)
    canvas.setLineWidth(1)
    canvas.circle(300, 400, 40)  # a thin red stamp outline
    canvas.showPage()
    canvas.save()
    ingest_documents(workspace, FolderSource(docs), actor="admin")
    black = find_document(workspace, "black.pdf").pages[0]
    stamp = find_document(workspace, "stamp.pdf").pages[0]
    assert Image.open(workspace.blobs.path(black.blob_key)).mode == "L"
    assert Image.open(workspace.blobs.path(stamp.blob_key)).mode == "RGB"
