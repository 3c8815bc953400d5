"""Page images for datasets: downscaled to a pixel budget, written once by content hash.

Re-encoding is deterministic (same pixels, same PNG bytes), so exporting twice gives
byte-identical files, and a page shared by two samples is written once.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from curator.imaging import fit_to_pixels


fit = fit_to_pixels


def tile_vertically(images: list[Image.Image]) -> Image.Image:
    """Several pages as one tall image (Llama 3.2 takes one image per example)."""
    mode = "RGB" if any(i.mode == "RGB" for i in images) else "L"
    width = max(i.width for i in images)
    canvas = Image.new(mode, (width, sum(i.height for i in images)), "white")
    top = 0
    for image in images:
        canvas.paste(image.convert(mode), (0, top))
        top += image.height
    return canvas


def encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def write_image(image: Image.Image, folder: Path, max_pixels: int) -> str:
    """Write a PNG under ``images/`` named by its sha256; returns the relative path."""
    return _place(encode(fit(image, max_pixels)), folder)


def _place(data: bytes, folder: Path) -> str:
    relative = f"images/{hashlib.sha256(data).hexdigest()[:32]}.png"
    target = folder / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return relative


def export_page(source: Path, folder: Path, max_pixels: int, cache: Path | None = None) -> str:
    """A rendered page as a dataset image; returns its path relative to ``folder``.

    The result only depends on the page's bytes and the pixel budget, so it is cached
    beside the page (``cache``): re-exports after a review round copy bytes instead of
    re-encoding every image. A page already within budget is used as it is.
    """
    cached = cache / f"{source.stem}-{max_pixels}.png" if cache else None
    if cached is not None and cached.exists():
        data = cached.read_bytes()
    else:
        image = load(source)
        fitted = fit(image, max_pixels)
        data = source.read_bytes() if fitted is image and source.suffix == ".png" else encode(fitted)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".partial")
            partial.write_bytes(data)
            partial.replace(cached)
    return _place(data, folder)


def load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image.copy()
