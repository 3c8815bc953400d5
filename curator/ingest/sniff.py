"""Decide what a file is from its bytes, and whether its name is safe to handle.

Extensions lie (``invoice.pdf`` that is really a JPEG from a phone, a ``.tif`` that is an
HTML error page saved by a crawler), so the type comes from the magic bytes only.
"""

from __future__ import annotations

from curator.ingest.problems import BadInput, Reason

SUPPORTED = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
}

# Recognised but unsupported, so the quarantine can say what the file actually is.
_KNOWN_OTHERS: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "a ZIP container (Office document or archive)"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"<", "HTML or XML text"),
]


def detect_mime(head: bytes) -> str:
    """Return the MIME type of a supported file or raise :class:`BadInput`."""
    if not head:
        raise BadInput(Reason.EMPTY, "the file is empty (0 bytes)")
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise BadInput(Reason.UNSUPPORTED_TYPE, "a WebP image; supported are PDF, PNG, JPEG and TIFF")
    for magic, what in _KNOWN_OTHERS:
        if head.lstrip().startswith(magic):
            raise BadInput(Reason.UNSUPPORTED_TYPE, f"{what}; supported are PDF, PNG, JPEG and TIFF")
    kind = "text" if _looks_like_text(head) else "binary data"
    raise BadInput(Reason.UNSUPPORTED_TYPE, f"unrecognised {kind}; supported are PDF, PNG, JPEG and TIFF")


def _looks_like_text(head: bytes) -> bool:
    sample = head[:512]
    return bool(sample) and all(b in b"\t\r\n" or 32 <= b < 127 or b >= 128 for b in sample)


def unsafe_name_reason(relative_path: str) -> str | None:
    """Why a source path must not be handled, or None when it is fine."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in relative_path):
        return "control characters in the file name"
    normalised = relative_path.replace("\\", "/")
    if normalised.startswith("/") or ".." in normalised.split("/"):
        return "path traversal in the file name ('..' or an absolute path)"
    name = normalised.rsplit("/", 1)[-1]
    if len(name.encode("utf-8", "surrogateescape")) > 255:
        return "file name longer than 255 bytes"
    return None
