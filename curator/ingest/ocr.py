"""Every page's words with their boxes, read once and kept: the text layer, or OCR.

Matching needs text to find keys in scans, mapping needs to know where a value stands, the
review UI shows it. Each page gets its lines (text + box) stored in the blob store
(``Page.words_blob``): from the PDF's text layer, and by OCR for image-only pages and for large
image regions of text pages (a pasted letterhead). OCR runs in worker processes, one engine
per process; a page image already read (same content, so same blob key) is not read again, and
a re-run only reads the pages not read yet: the step is resumable and free on re-runs.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from curator.access import Actor, require
from curator.ingest.ocr_engines import (
    TextLine,
    engine_available,
    lines_text,
    read_image,
)
from curator.ingest.words import dump_lines, pdf_page_lines, region_lines
from curator.progress import ProgressHook, SilentProgress
from curator.store.models import Document, Page
from curator.workspace import Workspace


@dataclass
class OcrReport:
    pages: int = 0  # pages (or image regions of pages) read by OCR
    pages_with_words: int = 0  # pages whose words and boxes were stored in this run
    reused: int = 0  # pages whose image was read before (same content)
    engine: str = ""
    seconds: float = 0.0
    ocr_seconds: float = 0.0  # time inside the OCR engine, summed over the workers
    skipped_reason: str | None = None
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"pages": self.pages, "pages_with_words": self.pages_with_words, "reused": self.reused,
                "engine": self.engine, "seconds": round(self.seconds, 2), "ocr_seconds": round(self.ocr_seconds, 2),
                "skipped_reason": self.skipped_reason, "failures": self.failures}


def tesseract_available() -> bool:
    return engine_available("tesseract") is None


@dataclass(frozen=True)
class _Job:
    page_id: int
    label: str  # "page 2 of 3f2a9c1e0b7d", for messages
    blobs: str  # the blob store's URL (a folder or s3://...): the worker reads through it
    image: str  # blob key of the rendered page (PNG)
    pdf: str | None  # blob key of the original PDF, for its text layer
    index: int
    needs_ocr: bool
    engine: str | None  # None: no OCR engine can run here
    modes: tuple[int, ...]
    language: str


_STORES: dict[str, Any] = {}  # one blob store per worker process


def _read_page(job: _Job) -> tuple[str, list[TextLine], str | None, float]:
    """Runs in a worker: (source, lines, text read by OCR or None, seconds spent in OCR)."""
    import io

    from PIL import Image

    from curator.blobs import open_blob_store

    store = _STORES.get(job.blobs)
    if store is None:
        store = _STORES[job.blobs] = open_blob_store(job.blobs, Path.cwd())
    lines: list[TextLine] = []
    regions: list[tuple[float, float, float, float]] = []
    if job.pdf is not None:
        lines, regions = pdf_page_lines(store.get(job.pdf), job.index)
    if job.needs_ocr and not lines:
        regions = [(0.0, 0.0, 1.0, 1.0)]
    if not regions or job.engine is None:
        return "pdf" if job.pdf else "none", lines, None, 0.0
    started = time.perf_counter()
    with Image.open(io.BytesIO(store.get(job.image))) as image:
        image.load()
        def read(crop):
            return read_image(crop, job.engine, modes=job.modes, language=job.language)

        found = [line for region in regions for line in (read(image) if region == (0.0, 0.0, 1.0, 1.0)
                                                          else region_lines(image, region, read))]
    seconds = time.perf_counter() - started
    source = job.engine if not lines else f"pdf+{job.engine}"
    return source, lines + found, lines_text(found), seconds


def ocr_pending_pages(workspace: Workspace, *, actor: Actor | str, workers: int | None = None,
                      progress: ProgressHook | None = None, engine: str = "local",
                      ray_address: str | None = None) -> OcrReport:
    """Store the words and boxes of every page not read yet, OCR'ing what needs it (authors).
    ``engine="ray"`` reads the pages as Ray tasks; the results are the same."""
    require(workspace, actor, "bootstrap")
    settings = workspace.config.ocr
    report = OcrReport(engine=settings.engine)
    started = time.perf_counter()
    with workspace.session() as session:
        rows = session.exec(select(Page, Document.original_blob, Document.mime)
                            .join(Document, Document.sha256 == Page.document_sha256)
                            .where(col(Page.words_blob).is_(None)).order_by(Page.document_sha256, Page.index)).all()
        known = dict(session.exec(select(Page.blob_key, Page.words_blob).where(col(Page.words_blob).is_not(None))).all())
    if not rows:
        return report
    why_not = engine_available(settings.engine)
    engine = None if why_not else settings.engine
    if why_not and any(page.needs_ocr for page, _, _ in rows):
        report.skipped_reason = f"{why_not}; scans are matched by file name only"
    jobs, reuse = [], []
    for page, original, mime in rows:
        if page.blob_key in known:
            reuse.append((page, known[page.blob_key]))
            continue
        known[page.blob_key] = ""  # the first page with this image is read; the others reuse it
        pdf = original if mime == "application/pdf" else None
        jobs.append(_Job(page.id, f"page {page.index + 1} of {page.document_sha256[:12]}", workspace.blobs.url,
                         page.blob_key, pdf, page.index, page.needs_ocr, engine,
                         tuple(settings.page_segmentation), settings.language))
    progress = progress or SilentProgress()
    progress.start(len(rows), f"read pages ({engine or 'text layer only'})")
    read_keys: dict[int, tuple[str, str | None]] = {}
    with _executor(engine, workers or settings.workers, ray_address) as pool:
        futures = [(job, pool.submit(_read_page, job)) for job in jobs]
        for job, future in futures:
            try:
                source, lines, ocr_text, seconds = future.result()
            except Exception as exc:  # noqa: BLE001 - one unreadable page must not stop the rest
                report.failures.append(f"{job.label}: {exc}")
                source, lines, ocr_text, seconds = "failed", [], "", 0.0
            key = workspace.blobs.put(dump_lines(lines, source), kind="words", suffix=".json.gz")
            with workspace.session() as session:
                page = session.get(Page, job.page_id)
                page.words_blob = key
                if ocr_text is not None:
                    page.ocr_text = ocr_text
                session.add(page)
                session.commit()  # one page at a time: a crash keeps what was read
            read_keys[job.page_id] = (key, ocr_text)
            report.pages_with_words += 1
            report.pages += ocr_text is not None
            report.ocr_seconds += seconds
            progress.advance()
    _store_reused(workspace, reuse, read_keys, rows, report, progress)
    report.seconds = time.perf_counter() - started
    return report


def _executor(engine: str, workers: int, ray_address: str | None):
    if engine == "ray":
        from curator.ingest.engines import RayExecutor

        return RayExecutor(workers, ray_address)
    return ProcessPoolExecutor(max_workers=workers)


def _store_reused(workspace: Workspace, reuse: list[tuple[Page, str]], read_keys: dict[int, tuple[str, str | None]],
                  rows: list[Any], report: OcrReport, progress: ProgressHook) -> None:
    """Pages whose image was read already (in an earlier run, or just now for another page)."""
    by_blob = {page.blob_key: read_keys[page.id] for page, _, _ in rows if page.id in read_keys}
    with workspace.session() as session:
        texts = dict(session.exec(select(Page.blob_key, Page.ocr_text).where(col(Page.ocr_text).is_not(None))).all())
        for page, key in reuse:
            words_key, ocr_text = by_blob.get(page.blob_key, (key, texts.get(page.blob_key)))
            stored = session.get(Page, page.id)
            stored.words_blob = words_key
            if ocr_text is not None and stored.ocr_text is None:
                stored.ocr_text = ocr_text
            session.add(stored)
            report.reused += 1
            report.pages_with_words += 1
            progress.advance()
        session.commit()
