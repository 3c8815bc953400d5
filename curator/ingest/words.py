"""The words of every page with their boxes: from the PDF's text layer, or read by OCR.

Stored compactly per page in the blob store (gzipped JSON rows ``[text, x0, y0, x1, y1,
confidence]``, boxes in 0-1 of the page), so matching and mapping can say *where* a value
stands and the review UI can show it. A text PDF page can still carry its important part as a
picture (a pasted letterhead with the seller's name and VAT id, a scanned attachment): image
regions covering a good part of the page are found from the PDF's own page objects and read by
OCR too.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from curator.ingest.ocr_engines import TextLine

# An image object covering at least this share of the page is read by OCR, even on a page with
# a text layer (a logo is smaller; a pasted letterhead block or a scanned attachment is larger).
IMAGE_REGION_SHARE = 0.04


def dump_lines(lines: list[TextLine], source: str) -> bytes:
    return gzip.compress(json.dumps({"source": source, "lines": [line.to_row() for line in lines]},
                                    ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0)


def load_lines(data: bytes) -> tuple[str, list[TextLine]]:
    document = json.loads(gzip.decompress(data))
    return document["source"], [TextLine.from_row(row) for row in document["lines"]]


def pdf_page_lines(pdf: str | Path | bytes, index: int) -> tuple[list[TextLine], list[tuple[float, float, float, float]]]:
    """The text layer's runs of text with their boxes, and the boxes of large image regions.

    pdfium groups characters into rectangles of one line of text each (``count_rects``), and
    gives back the text inside a rectangle: one :class:`TextLine` per rectangle.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    try:
        page = pdf[index]
        width, height = page.get_size()
        textpage = page.get_textpage()
        lines = []
        for i in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(i)
            text = textpage.get_text_bounded(left, bottom, right, top).strip()
            if text:
                lines.append(TextLine(text, (max(0.0, left / width), max(0.0, 1 - top / height),
                                             min(1.0, right / width), min(1.0, 1 - bottom / height))))
        regions = []
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            left, bottom, right, top = obj.get_bounds()
            box = (max(0.0, left / width), max(0.0, 1 - top / height), min(1.0, right / width),
                   min(1.0, 1 - bottom / height))
            if (box[2] - box[0]) * (box[3] - box[1]) >= IMAGE_REGION_SHARE:
                regions.append(box)
        return lines, regions
    finally:
        pdf.close()


def region_lines(image, region: tuple[float, float, float, float], read) -> list[TextLine]:
    """OCR of one region of a page image, with boxes mapped back to the whole page."""
    width, height = image.size
    x0, y0, x1, y1 = region
    crop = image.crop((int(x0 * width), int(y0 * height), max(int(x0 * width) + 1, int(x1 * width)),
                       max(int(y0 * height) + 1, int(y1 * height))))
    out = []
    for line in read(crop):
        a, b, c, d = line.box
        out.append(TextLine(line.text, (x0 + a * (x1 - x0), y0 + b * (y1 - y0), x0 + c * (x1 - x0),
                                        y0 + d * (y1 - y0)), line.confidence))
    return out
