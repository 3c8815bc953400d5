"""The part of ingest that runs in worker processes: render one file, write its pages.

Workers write PNGs straight into the content-addressed blob store and send back only
metadata, so page images never travel through the process pipe.
"""

from __future__ import annotations

import io
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imagehash
import numpy as np
import scipy.fftpack  # noqa: F401  (imagehash imports it lazily; preloading keeps it out of the first page)
from PIL import Image

from curator.blobs import blob_key, open_blob_store
from curator.ingest.problems import BadInput, Reason
from curator.ingest.render import RenderSettings, render


@dataclass
class RenderJob:
    sha256: str
    path: str
    mime: str
    blob_root: str
    settings: RenderSettings
    ocr_min_chars: int = 16
    png_compress_level: int = 1
    grey_when_colourless: bool = True


@dataclass
class RenderedPage:
    index: int
    blob_key: str
    width: int
    height: int
    dpi: int | None
    phash: str
    text: str
    needs_ocr: bool


@dataclass
class RenderResult:
    sha256: str
    original_blob: str | None = None
    pages: list[RenderedPage] = field(default_factory=list)
    reason: str | None = None
    detail: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason is None


def thumbnail_for_hash(image: Image.Image) -> Image.Image:
    # phash only looks at a 32x32 grey image. Image.reduce (an integer box filter) to about
    # 128 pixels gives the same hash at a quarter of the cost of resizing the whole page.
    return image.reduce(max(1, min(image.size) // 128))


def perceptual_hash(small: Image.Image) -> str:
    return str(imagehash.phash(small.convert("L")))


def is_colourless(small: Image.Image, tolerance: int = 12) -> bool:
    """True when no pixel of the (box-reduced) page differs between channels.

    Box reduction keeps thin coloured strokes visible (a 1-pixel red line in a 9x9 block
    still shifts the channels by ~28), so stamps and coloured logos keep their colour.
    """
    if small.mode not in ("RGB", "RGBA"):
        return True
    pixels = np.asarray(small.convert("RGB"), dtype=np.int16)
    return int((pixels.max(axis=2) - pixels.min(axis=2)).max()) <= tolerance


def encode_png(image: Image.Image, compress_level: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


_blob_stores: dict[str, Any] = {}  # one store per worker process: LocalBlobStore or S3BlobStore


def end_with_parent(parent_pid: int, every_seconds: float = 1.0) -> None:
    """Worker initializer: exit as soon as the ingest that started this worker is gone.

    A ``kill -9`` of the ingest leaves its pool's workers orphaned (with forkserver their
    parent is the fork server, not the ingest); a small watcher thread ends them instead of
    letting them render for nobody.
    """
    def watch() -> None:
        while True:
            time.sleep(every_seconds)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def render_job(job: RenderJob) -> RenderResult:
    """Render one file in a worker process: pages to PNG blobs with hashes and text; a refused file
    leaves no blobs behind.
    """
    started = time.perf_counter()
    result = RenderResult(sha256=job.sha256)
    if job.blob_root not in _blob_stores:  # one store per worker process, so its caches last
        _blob_stores[job.blob_root] = open_blob_store(job.blob_root, Path.cwd())
    blobs = _blob_stores[job.blob_root]
    created: list[str] = []  # page blobs this job added: removed again if the file is refused

    def put_page(png: bytes) -> str:
        key = blob_key(png, kind="pages", suffix=".png")
        if not blobs.exists(key):
            created.append(blobs.put(png, kind="pages", suffix=".png"))
        return key

    try:
        data = Path(job.path).read_bytes()
        for index, page in enumerate(render(data, job.mime, job.settings)):
            image = page.image
            small = thumbnail_for_hash(image)
            if job.grey_when_colourless and image.mode == "RGB" and is_colourless(small):
                # Lossless for a page without colour, a third of the bytes, and about
                # half the PNG encoding time, which is most of the cost of ingest.
                image = image.convert("L")
            png = encode_png(image, job.png_compress_level)
            text = page.text.strip()
            result.pages.append(
                RenderedPage(
                    index=index,
                    blob_key=put_page(png),
                    width=image.width,
                    height=image.height,
                    dpi=page.dpi,
                    phash=perceptual_hash(small),
                    text=text,
                    needs_ocr=len(text) < job.ocr_min_chars,
                )
            )
        result.original_blob = blobs.put(data, kind="originals", suffix=_suffix(job.mime), digest=job.sha256)
    except BadInput as exc:
        result.pages, result.reason, result.detail = [], exc.reason, exc.detail
    except MemoryError:
        result.pages, result.reason, result.detail = [], Reason.DECOMPRESSION_BOMB, "rendering ran out of memory"
    except Exception as exc:  # noqa: BLE001 - any failure of one file must not stop the batch
        result.pages, result.reason = [], Reason.UNREADABLE
        result.detail = f"{type(exc).__name__}: {exc}"
    if not result.ok:
        for key in created:  # a refused file leaves nothing behind in the blob store
            blobs.delete(key)
    result.seconds = time.perf_counter() - started
    return result


def _suffix(mime: str) -> str:
    return {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif"}[mime]
