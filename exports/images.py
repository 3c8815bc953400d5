"""Page images for datasets: downscaled to a pixel budget, written once by content hash.

Re-encoding is deterministic (same pixels, same PNG bytes), so exporting twice gives
byte-identical files, and a page shared by two samples is written once.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Protocol

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


class ImageCache(Protocol):
    """Where downscaled pages are kept between exports: a folder, or the workspace's blob store."""

    def read(self, name: str) -> bytes | None: ...
    def write(self, name: str, data: bytes) -> None: ...


class FolderCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def read(self, name: str) -> bytes | None:
        path = self.folder / name
        return path.read_bytes() if path.exists() else None

    def write(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = (self.folder / name).with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(self.folder / name)


def export_page(source, folder: Path, max_pixels: int, cache: ImageCache | Path | None = None) -> str:
    """A rendered page (a ``Path`` or a page in a blob store) as a dataset image; returns its
    path relative to ``folder``.

    The result only depends on the page's bytes and the pixel budget, so it is cached
    (``cache``): re-exports after a review round copy bytes instead of re-encoding every image.
    A page already within budget is used as it is.
    """
    if isinstance(cache, Path):
        cache = FolderCache(cache)
    name = f"{source.stem}-{max_pixels}.png"
    data = cache.read(name) if cache is not None else None
    if data is None:
        image = load(source)
        fitted = fit(image, max_pixels)
        data = source.read_bytes() if fitted is image and source.suffix == ".png" else encode(fitted)
        if cache is not None:
            cache.write(name, data)
    return _place(data, folder)


def load(path) -> Image.Image:
    """A page image from a ``Path`` or anything with ``read_bytes`` (a page in a blob store)."""
    with Image.open(io.BytesIO(path.read_bytes())) as image:
        image.load()
        return image.copy()
