"""Make a clean PDF look scanned: rasterised, tilted, blurred, speckled, JPEG-compressed.

The result is image-only (no text layer), saved as a PDF of images, a (multi-page) TIFF,
or, for one-page documents, a PNG or JPEG, the way scanners and phones deliver them.
"""

from __future__ import annotations

import io
import random
import time
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

SCAN_DPI = 150
# Fixed metadata dates keep a corpus byte-identical for the same seed.
FIXED_DATE = time.gmtime(1_577_836_800)  # 2020-01-01


def scanned_pages(pdf_path: Path, rng: random.Random) -> list[Image.Image]:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        pages = []
        tilt = rng.uniform(-1.8, 1.8)  # one scanner pass: same tilt on every page
        for index in range(len(pdf)):
            image = pdf[index].render(scale=SCAN_DPI / 72, grayscale=rng.random() < 0.7).to_pil()
            pages.append(_degrade(image, rng, tilt))
        return pages
    finally:
        pdf.close()


def _degrade(image: Image.Image, rng: random.Random, tilt: float) -> Image.Image:
    fill = 255 if image.mode == "L" else (255, 255, 255)
    image = image.rotate(tilt + rng.uniform(-0.2, 0.2), resample=Image.Resampling.BICUBIC, fillcolor=fill)
    image = image.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.2, 0.9)))
    pixels = np.asarray(image, dtype=np.int16)
    noise_rng = np.random.default_rng(rng.getrandbits(32))
    pixels = pixels + noise_rng.normal(0, rng.uniform(3, 10), pixels.shape).astype(np.int16)
    speckle = noise_rng.random(pixels.shape[:2]) < rng.uniform(0.0005, 0.003)
    pixels[speckle] = 0
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode=image.mode)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=rng.randint(35, 80))
    buffer.seek(0)
    return Image.open(buffer).convert(image.mode)


def save_scan(pages: list[Image.Image], stem: Path, rng: random.Random) -> Path:
    """Save in a format chosen like real intake mixes them; returns the path written."""
    if len(pages) > 1:
        kind = "pdf" if rng.random() < 0.7 else "tif"
    else:
        kind = rng.choices(["pdf", "tif", "png", "jpg"], weights=[40, 15, 20, 25])[0]
    path = stem.with_suffix(f".{kind}")
    first, rest = pages[0], pages[1:]
    if kind == "pdf":
        first.save(path, format="PDF", resolution=SCAN_DPI, save_all=True, append_images=rest,
                   creationDate=FIXED_DATE, modDate=FIXED_DATE)
    elif kind == "tif":
        first.save(path, format="TIFF", compression="tiff_lzw", dpi=(SCAN_DPI, SCAN_DPI), save_all=True,
                   append_images=rest)
    elif kind == "png":
        first.save(path, format="PNG", dpi=(SCAN_DPI, SCAN_DPI))
    else:
        first.convert("RGB").save(path, format="JPEG", quality=85, dpi=(SCAN_DPI, SCAN_DPI))
    return path
