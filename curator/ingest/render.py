"""Turn a PDF or an image file into page images plus the text layer.

pypdfium2 is the default renderer (about 3x faster than pdftoppm here); pdf2image
(poppler) is the second backend. Either way pypdfium2 opens and checks the PDF and
extracts its text, so validation and text do not depend on the renderer chosen.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageSequence

from curator.imaging import fit_to_pixels
from curator.ingest.problems import BadInput, Reason


_EMPTY_PAGE_TREE = re.compile(rb"/Type\s*/Pages\b[^>]*/Count\s+0\b")


@dataclass
class RenderSettings:
    renderer: str = "pypdfium2"
    dpi: int = 150
    max_pixels: int = 4_000_000
    max_source_pixels: int = 120_000_000
    max_pages: int = 200


@dataclass
class PageImage:
    image: Image.Image
    text: str
    dpi: int | None


def capped_scale(width: float, height: float, scale: float, max_pixels: int) -> float:
    """The render scale, reduced so that the page stays under ``max_pixels``."""
    if width * height * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / (width * height))
    return scale


def render_pdf(data: bytes, settings: RenderSettings) -> Iterator[PageImage]:
    tail = data[-2048:]
    if b"%%EOF" not in tail:
        raise BadInput(Reason.TRUNCATED, "the PDF ends without its %%EOF marker: the file was cut short")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        # PDFium's error code is process-global and may be left over from an earlier file,
        # so the reason is read from the bytes rather than from its message.
        if b"/Encrypt" in data:
            raise BadInput(Reason.ENCRYPTED, "the PDF is password-protected; decrypt it and ingest again") from exc
        if _EMPTY_PAGE_TREE.search(data):
            raise BadInput(Reason.NO_PAGES, "the PDF has no pages") from exc
        raise BadInput(Reason.CORRUPT, "not a readable PDF: its structure cannot be parsed") from exc
    try:
        count = len(pdf)
        if count == 0:
            raise BadInput(Reason.NO_PAGES, "the PDF has no pages")
        if count > settings.max_pages:
            raise BadInput(Reason.TOO_MANY_PAGES, f"{count} pages, more than the limit of {settings.max_pages}")
        for index in range(count):
            page = pdf[index]
            try:
                width, height = page.get_size()
                if not (width > 0 and height > 0):
                    raise BadInput(Reason.CORRUPT, f"page {index + 1} has no size")
                scale = capped_scale(width, height, settings.dpi / 72, settings.max_pixels)
                text = _page_text(page)
                if settings.renderer == "pdf2image":
                    image = _render_poppler(data, index, round(scale * 72))
                else:
                    image = page.render(scale=scale).to_pil()
                yield PageImage(image=image, text=text, dpi=round(scale * 72))
            finally:
                page.close()
    finally:
        pdf.close()


def _page_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
    finally:
        textpage.close()


def _render_poppler(data: bytes, index: int, dpi: int) -> Image.Image:
    from pdf2image import convert_from_bytes
    from pdf2image.exceptions import PDFInfoNotInstalledError

    try:
        images = convert_from_bytes(data, dpi=dpi, first_page=index + 1, last_page=index + 1)
    except PDFInfoNotInstalledError as exc:
        raise RuntimeError("the pdf2image renderer needs poppler-utils (apt-get install poppler-utils)") from exc
    return images[0]


def render_image(data: bytes, settings: RenderSettings) -> Iterator[PageImage]:
    """Each frame of a PNG/JPEG/(multi-page) TIFF as one page; images carry no text layer."""
    Image.MAX_IMAGE_PIXELS = settings.max_source_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data))
            frames = getattr(source, "n_frames", 1)  # from the file's directory, before any decoding
            if frames > settings.max_pages:
                raise BadInput(Reason.TOO_MANY_PAGES, f"{frames} frames, more than the limit of {settings.max_pages}")
            for index, frame in enumerate(ImageSequence.Iterator(source)):
                if index >= settings.max_pages:
                    raise BadInput(Reason.TOO_MANY_PAGES, f"more than {settings.max_pages} frames")
                width, height = frame.size
                if width * height > settings.max_source_pixels:
                    raise BadInput(
                        Reason.DECOMPRESSION_BOMB,
                        f"frame {index + 1} claims {width}x{height} pixels, over the limit of "
                        f"{settings.max_source_pixels:,}",
                    )
                frame.load()
                image = _to_rgb_or_gray(frame)
                image = fit_to_pixels(image, settings.max_pixels)
                dpi = frame.info.get("dpi")
                yield PageImage(image=image, text="", dpi=round(float(dpi[0])) if dpi and dpi[0] else None)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadInput(Reason.DECOMPRESSION_BOMB, str(exc)) from exc
    except BadInput:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        message = str(exc)
        reason = Reason.TRUNCATED if "truncated" in message.lower() else Reason.CORRUPT
        raise BadInput(reason, f"not a readable image ({message})") from exc


def _to_rgb_or_gray(image: Image.Image) -> Image.Image:
    if image.mode in ("L", "RGB"):
        return image.copy()
    if image.mode in ("1", "I;16", "I", "F"):
        return image.convert("L")
    return image.convert("RGB")


def render(data: bytes, mime: str, settings: RenderSettings) -> Iterator[PageImage]:
    """The pages of a file (PDF or image) as images with their text layer, refusing bad input early."""
    if mime == "application/pdf":
        return render_pdf(data, settings)
    return render_image(data, settings)
