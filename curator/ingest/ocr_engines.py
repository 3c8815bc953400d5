"""OCR engines that return text lines with their boxes on the page.

RapidOCR (PaddleOCR's detection and recognition models run by ONNX Runtime) is the default:
it installs with pip and ships its models inside the wheel, so a fresh machine without apt
reads scans. Tesseract stays an optional backend (``[ocr] engine = "tesseract"``) for those
who have it. Both give :class:`TextLine` with a box normalised to 0-1 of the page, so a value
found on a page can be shown where it stands whatever the rendering resolution.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

ENGINES = ("rapidocr", "tesseract")


@dataclass(frozen=True)
class TextLine:
    """A line (or run) of text as read from a page: the words, their box (x0, y0, x1, y1 in
    0-1 of the page width and height, origin top left) and how sure the reader was."""

    text: str
    box: tuple[float, float, float, float]
    confidence: float = 1.0

    def to_row(self) -> list[Any]:
        return [self.text, *(round(v, 4) for v in self.box), round(self.confidence, 3)]

    @classmethod
    def from_row(cls, row: list[Any]) -> TextLine:
        return cls(row[0], (row[1], row[2], row[3], row[4]), row[5])


def engine_available(name: str) -> str | None:
    """None when the engine can run here, else why not (in words a user can act on)."""
    if name == "tesseract":
        return None if shutil.which("tesseract") else "tesseract is not installed (apt-get install tesseract-ocr)"
    if name == "rapidocr":
        try:
            import rapidocr_onnxruntime  # noqa: F401
        except ImportError as exc:  # pragma: no cover - a broken install
            return f"rapidocr-onnxruntime cannot be imported ({exc}); pip install rapidocr-onnxruntime"
        return None
    return f"unknown OCR engine {name!r}: one of {', '.join(ENGINES)}"


_RAPID: Any = None


def _rapid(threads: int) -> Any:
    """One engine per process: loading the models takes about half a second."""
    global _RAPID
    if _RAPID is None:
        from rapidocr_onnxruntime import RapidOCR

        _RAPID = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
    return _RAPID


def rapidocr_lines(image, threads: int = 1) -> list[TextLine]:
    """Lines read by RapidOCR from a PIL image."""
    import numpy as np

    width, height = image.size
    result, _ = _rapid(threads)(np.asarray(image.convert("RGB")))
    lines = []
    for points, text, score in result or []:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        lines.append(TextLine(str(text), (max(0.0, min(xs) / width), max(0.0, min(ys) / height),
                                          min(1.0, max(xs) / width), min(1.0, max(ys) / height)), float(score)))
    return lines


def tesseract_lines(image, modes: tuple[int, ...] = (6,), language: str = "eng") -> list[TextLine]:
    """Lines read by tesseract (``image_to_data``, words grouped into their lines), one pass per mode."""
    import pytesseract

    width, height = image.size
    out: list[TextLine] = []
    for mode in modes:
        data = pytesseract.image_to_data(image, lang=language, config=f"--psm {mode}",
                                         output_type=pytesseract.Output.DICT)
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i, word in enumerate(data["text"]):
            if word.strip():
                groups.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
        for indices in groups.values():
            x0 = min(data["left"][i] for i in indices)
            y0 = min(data["top"][i] for i in indices)
            x1 = max(data["left"][i] + data["width"][i] for i in indices)
            y1 = max(data["top"][i] + data["height"][i] for i in indices)
            confidences = [float(data["conf"][i]) for i in indices if float(data["conf"][i]) >= 0]
            out.append(TextLine(" ".join(data["text"][i] for i in indices), (x0 / width, y0 / height, x1 / width,
                                                                              y1 / height),
                                (sum(confidences) / len(confidences) / 100) if confidences else 0.0))
    return out


def read_image(image, engine: str, *, threads: int = 1, modes: tuple[int, ...] = (6,),
               language: str = "eng") -> list[TextLine]:
    """The lines of a page image (PIL) by the named engine."""
    if engine == "tesseract":
        os.environ.setdefault("OMP_THREAD_LIMIT", str(threads))
        return tesseract_lines(image, modes, language)
    return rapidocr_lines(image, threads)


def lines_text(lines: list[TextLine]) -> str:
    """The page's text in reading order (top to bottom, then left to right), one line per row."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda item: (item.box[1], item.box[0])):
        middle = (line.box[1] + line.box[3]) / 2
        if rows and abs(middle - (rows[-1][0].box[1] + rows[-1][0].box[3]) / 2) < 0.006:
            rows[-1].append(line)
        else:
            rows.append([line])
    return "\n".join(" ".join(item.text for item in sorted(row, key=lambda item: item.box[0])) for row in rows)
