"""What every writer shares: samples in, files out, a manifest of what was written.

Writers stream: they take an iterator of samples and write one line at a time, so the
size of a dataset is bounded by disk, not memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Sample:
    """One training example: the page images of a document and what the model should answer."""

    document: str
    split: str
    pages: tuple[Any, ...]  # rendered page PNGs, in order: Paths, or pages in a blob store (read_bytes)
    answer: str  # the target: normalised JSON text, or the class name for classification
    document_class: str | None = None
    text: str = ""  # the document's text layer, for prompts that include it
    file_name: str = ""  # the document's file name, for samples.jsonl


@dataclass
class Destination:
    """A local folder, and optionally the S3 prefix the files will be uploaded to.

    Bedrock lines must carry ``s3://`` image URIs even when written locally first, so the
    writer needs to know where the upload will put them.
    """

    folder: Path
    s3_prefix: str | None = None  # s3://bucket/prefix
    bucket_owner: str | None = None

    def uri(self, relative: str) -> str:
        if self.s3_prefix:
            return f"{self.s3_prefix.rstrip('/')}/{relative}"
        return relative


@dataclass
class Manifest:
    format: str
    task: str
    schema: str | None = None  # the target schema's name: a later export recognises its own folder by it
    counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    s3_prefix: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # the field set and per-field counts

    def add_file(self, folder: Path, relative: str) -> None:
        digest = hashlib.sha256()
        path = folder / relative
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        self.files[relative] = {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "task": self.task, "schema": self.schema, "counts": dict(sorted(self.counts.items())),
                "files": dict(sorted(self.files.items())), "s3_prefix": self.s3_prefix,
                "settings": self.settings, "warnings": self.warnings, "fields": self.fields}

    def to_json(self) -> str:
        # No timestamps: the same workspace and seed give a byte-identical manifest.
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()


class Writer(Protocol):
    format: str

    def write(self, samples: Iterable[Sample], destination: Destination) -> Manifest: ...
