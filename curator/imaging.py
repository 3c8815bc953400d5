"""Image helpers shared by ingest (page rendering) and exports (dataset images)."""

from __future__ import annotations

import math

from PIL import Image


def fit_to_pixels(image: Image.Image, max_pixels: int) -> Image.Image:
    """The image scaled down (never up) to at most ``max_pixels``, keeping its aspect ratio.

    Returns the same object when it already fits, so callers can tell nothing changed.
    """
    width, height = image.size
    if width * height <= max_pixels:
        return image
    factor = math.sqrt(max_pixels / (width * height))
    return image.resize((max(1, int(width * factor)), max(1, int(height * factor))), Image.Resampling.LANCZOS)
