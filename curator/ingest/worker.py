"""The part of ingest that runs in worker processes: render one file, write its pages.

Workers write PNGs straight into the content-addressed blob store and send back only
metadata, so page images never travel through the process pipe.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import imagehash
from PIL import Image

from curator.blobs import LocalBlobStore
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


def perceptual_hash(image: Image.Image) -> str:
    thumb = image.copy()
    thumb.thumbnail((256, 256))  # phash looks at 32x32 anyway; shrinking first is ~10x cheaper
    return str(imagehash.phash(thumb))


def encode_png(image: Image.Image, compress_level: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


def render_job(job: RenderJob) -> RenderResult:
    started = time.perf_counter()
    result = RenderResult(sha256=job.sha256)
    blobs = LocalBlobStore(Path(job.blob_root))
    try:
        data = Path(job.path).read_bytes()
        for index, page in enumerate(render(data, job.mime, job.settings)):
            png = encode_png(page.image, job.png_compress_level)
            text = page.text.strip()
            result.pages.append(
                RenderedPage(
                    index=index,
                    blob_key=blobs.put(png, kind="pages", suffix=".png"),
                    width=page.image.width,
                    height=page.image.height,
                    dpi=page.dpi,
                    phash=perceptual_hash(page.image),
                    text=text,
                    needs_ocr=len(text) < job.ocr_min_chars,
                )
            )
        result.original_blob = blobs.put(data, kind="originals", suffix=_suffix(job.mime))
    except BadInput as exc:
        result.pages, result.reason, result.detail = [], exc.reason, exc.detail
    except MemoryError:
        result.pages, result.reason, result.detail = [], Reason.DECOMPRESSION_BOMB, "rendering ran out of memory"
    except Exception as exc:  # noqa: BLE001 - any failure of one file must not stop the batch
        result.pages, result.reason = [], Reason.UNREADABLE
        result.detail = f"{type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - started
    return result


def _suffix(mime: str) -> str:
    return {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif"}[mime]
