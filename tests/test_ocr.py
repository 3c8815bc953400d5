"""Pages read with pip-installed OCR (RapidOCR) and the text layer: lines with boxes, scans
that are rotated or faint, and a text PDF whose important part is a pasted image."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from sqlmodel import select
from typer.testing import CliRunner

from connectors.documents import FolderSource
from curator.cli import app
from curator.ingest.documents import ingest_documents
from curator.ingest.ocr_engines import engine_available, read_image
from curator.ingest.words import load_lines, pdf_page_lines
from curator.store.models import Document, Page

LETTERHEAD = ["Meridian Components Sp. z o.o.", "VAT ID PL6581578970", "Invoice No. INV/17/0441"]


def _font(size: int) -> ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _picture(lines: list[str], size=(1240, 500), ink=0, paper=255) -> Image.Image:
    image = Image.new("L", size, paper)
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(lines):
        draw.text((60, 60 + row * 110), text, fill=ink, font=_font(54))
    return image.convert("RGB")


def _texts(lines) -> str:
    return " ".join(line.text for line in lines).replace(" ", "").upper()


def test_rapidocr_installs_with_pip_and_reads_lines_with_boxes():
    assert engine_available("rapidocr") is None
    lines = read_image(_picture(LETTERHEAD), "rapidocr")
    joined = _texts(lines)
    assert "PL6581578970" in joined and "17/0441" in joined
    for line in lines:
        x0, y0, x1, y1 = line.box
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 and 0 < line.confidence <= 1
    vat = next(line for line in lines if "PL658" in line.text.replace(" ", ""))
    assert 0.25 < (vat.box[1] + vat.box[3]) / 2 < 0.45  # the second of three rows on the picture


def test_a_rotated_and_a_faint_scan_are_read():
    rotated = _picture(LETTERHEAD).rotate(3, expand=True, fillcolor="white")
    assert "PL6581578970" in _texts(read_image(rotated, "rapidocr"))
    faint = ImageEnhance.Contrast(_picture(LETTERHEAD, ink=150, paper=215)).enhance(0.6)
    assert "17/0441" in _texts(read_image(faint, "rapidocr"))


def _text_pdf_with_pasted_letterhead(path: Path) -> None:
    """A text PDF (typed lines) whose seller block is a picture, as from a pasted letterhead."""
    page = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    buffer = io.BytesIO()
    _picture(LETTERHEAD).save(buffer, format="PNG")
    page.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 40, height - 260, width=width - 80, height=200)
    page.setFont("Helvetica", 11)
    for row, text in enumerate(["Bill to: Curator Demo Manufacturing GmbH", "Total 3.984,60 PLN"]):
        page.drawString(60, height - 320 - row * 18, text)
    page.showPage()
    page.save()


def test_an_image_region_in_a_text_pdf_is_read_too(workspace, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _text_pdf_with_pasted_letterhead(folder / "letterhead.pdf")
    lines, regions = pdf_page_lines(folder / "letterhead.pdf", 0)
    assert "Total 3.984,60 PLN" in [line.text for line in lines] and len(regions) == 1
    report = ingest_documents(workspace, FolderSource(folder), document_class="invoice", actor="admin")
    assert report.pages_read["pages"] == 1 and report.pages_read["engine"] == "rapidocr"
    with workspace.session() as session:
        page = session.exec(select(Page)).one()
    source, stored = load_lines(workspace.blobs.get(page.words_blob))
    assert source == "pdf+rapidocr"
    joined = _texts(stored)
    assert "TOTAL3.984,60PLN" in joined and "PL6581578970" in joined  # text layer and picture alike
    assert "PL6581578970" in page.ocr_text.replace(" ", "")  # so matching sees the picture's text
    vat = next(line for line in stored if "PL658" in line.text.replace(" ", ""))
    assert vat.box[3] < 0.3  # on the letterhead, at the top of the page
    # `docs show --json` says what was read; a second run reads nothing again.
    shown = json.loads(CliRunner().invoke(app, ["-w", str(workspace.root), "docs", "show", "letterhead.pdf",
                                                "--json"]).stdout)
    assert shown["pages"][0]["words_read"] and shown["pages"][0]["ocr_chars"] > 20
    from curator.ingest.ocr import ocr_pending_pages
    assert ocr_pending_pages(workspace, actor="admin").pages_with_words == 0


def test_a_scan_twice_is_read_once(workspace, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    _picture(LETTERHEAD).save(folder / "a.png")
    Image.open(folder / "a.png").save(folder / "b.tiff")  # the same pixels in another file
    report = ingest_documents(workspace, FolderSource(folder), document_class="invoice", actor="admin")
    with workspace.session() as session:
        pages = session.exec(select(Page).join(Document)).all()
    if len({p.blob_key for p in pages}) == 1:  # identical renderings share one page image
        assert report.pages_read["pages"] == 1 and report.pages_read["reused"] == len(pages) - 1
    assert all(p.words_blob for p in pages) and all("PL658" in (p.ocr_text or "").replace(" ", "") for p in pages)
