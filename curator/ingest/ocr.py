"""OCR for image-only pages (tesseract), run once per page and stored with it.

Matching needs text to find keys in scans; storing ``Page.ocr_text`` makes the step
resumable and free on re-runs. Pages are OCR'd in worker processes.
"""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from sqlmodel import select

from curator.access import Actor, require
from curator.progress import ProgressHook, SilentProgress
from curator.store.models import Page
from curator.workspace import Workspace


@dataclass
class OcrReport:
    pages: int = 0
    seconds: float = 0.0
    skipped_reason: str | None = None
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"pages": self.pages, "seconds": round(self.seconds, 2), "skipped_reason": self.skipped_reason,
                "failures": self.failures}


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def _limit_threads() -> None:
    # One tesseract thread per worker process: the pool already uses every core.
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _ocr_png(path: str, modes: tuple[int, ...], language: str) -> str:
    import pytesseract
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return "\n".join(pytesseract.image_to_string(image, lang=language, config=f"--psm {mode}") for mode in modes)


def ocr_pending_pages(workspace: Workspace, *, actor: Actor | str, workers: int | None = None,
                      progress: ProgressHook | None = None) -> OcrReport:
    """OCR the image-only pages not read yet (authors), so matching sees scans' text too."""
    require(workspace, actor, "bootstrap")
    report = OcrReport()
    started = time.perf_counter()
    with workspace.session() as session:
        pages = list(session.exec(select(Page).where(Page.needs_ocr == True, Page.ocr_text == None)))  # noqa: E711,E712
    if not pages:
        return report
    if not tesseract_available():
        report.skipped_reason = "tesseract is not installed (apt-get install tesseract-ocr); scans are matched by file name only"
        return report
    progress = progress or SilentProgress()
    progress.start(len(pages), "ocr")
    paths = [str(workspace.blobs.path(page.blob_key)) for page in pages]
    settings = workspace.config.ocr
    modes = tuple(settings.page_segmentation)
    with ProcessPoolExecutor(max_workers=workers or settings.workers, initializer=_limit_threads) as pool, \
            workspace.session() as session:
        for page, path, text in zip(pages, paths, _map_safely(pool, paths, modes, settings.language)):
            if isinstance(text, Exception):
                report.failures.append(f"page {page.index + 1} of {page.document_sha256[:12]}: {text}")
                text = ""
            page.ocr_text = text
            session.add(page)
            session.commit()  # one page at a time: a crash keeps what was read
            report.pages += 1
            progress.advance()
    report.seconds = time.perf_counter() - started
    return report


def _map_safely(pool: ProcessPoolExecutor, paths: list[str], modes: tuple[int, ...], language: str):
    futures = [pool.submit(_ocr_png, path, modes, language) for path in paths]
    for future in futures:
        try:
            yield future.result()
        except Exception as exc:  # noqa: BLE001 - one unreadable page must not stop the rest
            yield exc
