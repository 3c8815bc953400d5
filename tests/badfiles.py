"""Makers of hostile and broken input files, generated in the tests (nothing binary in git)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

from PIL import Image
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen.canvas import Canvas


def good_pdf(path: Path, text: str = "Invoice INV-1 total 100.00", pages: int = 1, size=(612, 792)) -> Path:
    canvas = Canvas(str(path), pagesize=size, invariant=1)
    for page in range(pages):
        canvas.drawString(72, size[1] - 72, f"{text} page {page + 1}")
        canvas.showPage()
    canvas.save()
    return path


def encrypted_pdf(path: Path) -> Path:
    canvas = Canvas(str(path), encrypt=StandardEncryption("s3cret", ownerPassword="owner"), invariant=1)
    canvas.drawString(72, 720, "confidential")
    canvas.showPage()
    canvas.save()
    return path


def truncated_pdf(path: Path, source: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def corrupt_pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n")
    return path


def zero_page_pdf(path: Path) -> Path:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())
    return path


def png_claiming_size(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims a huge canvas: the classic decompression bomb."""
    buffer = io.BytesIO()
    Image.new("1", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    ihdr_start = 8 + 8  # signature, then length + type of the IHDR chunk
    data[ihdr_start:ihdr_start + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:ihdr_start + 13])) & 0xFFFFFFFF
    data[ihdr_start + 13:ihdr_start + 17] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


def docx_like(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def truncated_png(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.effect_noise((400, 400), 60).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue()[:3000])
    return path


def multipage_tiff(path: Path, pages: int = 3) -> Path:
    frames = [Image.new("L", (850, 1100), 255 - 20 * i) for i in range(pages)]
    frames[0].save(path, format="TIFF", save_all=True, append_images=frames[1:], dpi=(100, 100))
    return path
