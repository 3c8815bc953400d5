"""Where a value stands on a document: the page and the box of the text that shows it.

Mapping records it with each ERP value the document shows (``evidence: {page, bbox}``, the box
in 0-1 of the page, origin top left), so the review UI can highlight it when a reviewer looks
at the field; for a value the document does not clearly show (a *suspect* one), the box of the
most similar text on the page, so the reviewer sees where to look. Lines come from the stored
page words (text layer or OCR); a value may wrap over up to three lines (addresses).
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz

from curator.evidence import DocumentEvidence, document_evidence, support
from curator.ingest.ocr_engines import TextLine

SHOWN = 0.9  # as mapping's SUSPECT_BELOW: a value shown at least this clearly is "found"
NEAREST_AT_LEAST = 60  # similarity (0-100) for the nearest text of a suspect value


class PageLines:
    """The lines of a document's pages, in reading order, with their evidence built once."""

    def __init__(self, pages: list[list[TextLine]]) -> None:
        self.pages = [sorted(lines, key=lambda line: (round(line.box[1], 3), line.box[0])) for lines in pages]
        self._groups: list[tuple[int, list[TextLine], str]] = []
        for number, lines in enumerate(self.pages, start=1):
            for size in (1, 2, 3):
                for start in range(len(lines) - size + 1):
                    group = lines[start:start + size]
                    self._groups.append((number, group, " ".join(line.text for line in group)))
        self._evidence: dict[int, DocumentEvidence] = {}

    def __bool__(self) -> bool:
        return any(self.pages)

    def _evidence_of(self, index: int) -> DocumentEvidence:
        if index not in self._evidence:
            self._evidence[index] = document_evidence(self._groups[index][2])
        return self._evidence[index]

    def locate(self, value: Any, kind: str) -> dict[str, Any] | None:
        """The first place (fewest lines) showing ``value``: ``{"page": n, "bbox": [x0, y0, x1, y1]}``."""
        if value is None or kind == "boolean":
            return None
        for index, (number, group, text) in enumerate(self._groups):
            if support(value, kind, self._evidence_of(index)) >= SHOWN:
                return {"page": number, "bbox": _narrowed(group, text, value)}
        return None

    def nearest(self, value: Any) -> dict[str, Any] | None:
        """The single line most like ``value`` (where a reviewer should look for a suspect value)."""
        wanted = str(value).strip()
        if not wanted:
            return None
        best = None
        for number, lines in enumerate(self.pages, start=1):
            for line in lines:
                score = fuzz.partial_ratio(wanted.casefold(), line.text.casefold())
                if score >= NEAREST_AT_LEAST and (best is None or score > best[0]):
                    best = (score, number, line)
        if best is None:
            return None
        return {"page": best[1], "bbox": _rounded(best[2].box), "nearest": True, "similarity": round(best[0] / 100, 2)}


def _rounded(box) -> list[float]:
    return [round(v, 4) for v in box]


def _narrowed(group: list[TextLine], text: str, value: Any) -> list[float]:
    """The group's box; for one line that holds the value as printed, the part of it the value
    takes (characters are about evenly wide: good enough to point at, not to crop)."""
    x0 = min(line.box[0] for line in group)
    y0 = min(line.box[1] for line in group)
    x1 = max(line.box[2] for line in group)
    y1 = max(line.box[3] for line in group)
    printed = str(value).strip()
    if len(group) == 1 and printed and len(printed) < len(text):
        at = text.casefold().find(printed.casefold())
        if at >= 0:
            width = x1 - x0
            x0, x1 = x0 + width * at / len(text), x0 + width * (at + len(printed)) / len(text)
    return _rounded((x0, y0, x1, y1))
