"""The streaming skeleton the JSONL writers share: one file per split, images beside them,
a manifest with the sha256 of every file."""

from __future__ import annotations

import json
from dataclasses import replace
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from exports.base import Destination, Manifest, Sample
from exports.images import export_page, tile_vertically
from exports.prompts import classification_prompt, extraction_prompt, neutralise, system_prompt

SPLIT_FILES = {"train": "train.jsonl", "validation": "validation.jsonl", "test": "test.jsonl"}
SAMPLES_FILE = "samples.jsonl"  # {"split", "line", "document", "file"} for every line written
# Characters that str.splitlines() and many JSONL readers take for line breaks. JSON allows
# them raw inside strings; written escaped they mean the same and cannot split a record.
_LINE_BREAKERS = {ch: f"\\u{ord(ch):04x}" for ch in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}
_ESCAPE = str.maketrans(_LINE_BREAKERS)


def jsonl_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False).translate(_ESCAPE) + "\n"


class JsonlWriter:
    format = "jsonl"

    def __init__(self, *, task: str = "extraction", schema: dict[str, Any] | None = None,
                 classes: list[str] | None = None, max_pixels: int = 1_600_000, template: str | None = None,
                 include_text: bool = False, max_images: int = 10, image_cache: Path | None = None,
                 schema_name: str | None = None) -> None:
        if task not in ("extraction", "classification"):
            raise ValueError("task must be extraction or classification")
        if task == "extraction" and schema is None:
            raise ValueError("an extraction dataset needs the target schema")
        self.task = task
        self.schema = schema or {}
        self.classes = classes or []
        self.max_pixels = max_pixels
        self.template = template
        self.include_text = include_text
        self.max_images = max_images
        self.image_cache = image_cache
        self.schema_name = schema_name

    # -- what a subclass provides ----------------------------------------------------------
    def records(self, sample: Sample, images: list[str], destination: Destination) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def page_groups(self, sample: Sample) -> list[list[int]]:
        """Which pages go into which example (default: one example, every page)."""
        return [list(range(len(sample.pages)))]

    # -- shared ----------------------------------------------------------------------------
    def prompt(self, sample: Sample) -> str:
        if self.task == "classification":
            return classification_prompt(self.classes)
        text = extraction_prompt(self.schema, self.template) if self.template else extraction_prompt(self.schema)
        if self.include_text and sample.text.strip():
            text += "\n\nText on the document:\n" + neutralise(sample.text.strip())
        return text

    def system(self) -> str | None:
        return None if self.task == "classification" else system_prompt(self.schema)

    def settings(self) -> dict[str, Any]:
        """What a model trained on this dataset must be asked with: the system prompt, the user
        prompt (before any document text), the template and the image settings. ``evaluate`` and
        ``predict`` read them from the manifest, so the model is asked as it was trained."""
        return {"max_pixels": self.max_pixels, "include_text": self.include_text, "max_images": self.max_images,
                "template": self.template, "system_prompt": self.system(),
                "user_prompt": self.prompt(Sample(document="", split="train", pages=(), answer=""))}

    def write(self, samples: Iterable[Sample], destination: Destination) -> Manifest:
        folder = destination.folder
        folder.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(format=self.format, task=self.task, schema=self.schema_name, s3_prefix=destination.s3_prefix,
                            settings=self.settings())
        handles: dict[str, TextIO] = {}
        images_written: set[str] = set()
        # Which document each line teaches, so every answer can be traced back (and checked).
        index = open(folder / SAMPLES_FILE, "w", encoding="utf-8", newline="\n")
        try:
            for sample in samples:
                pages = list(sample.pages)
                if self.task == "classification":
                    pages = pages[:1]
                elif len(pages) > self.max_images:
                    manifest.warnings.append(
                        f"{sample.document[:12]}: {len(pages)} pages, only the first {self.max_images} exported")
                    pages = pages[: self.max_images]
                sample = replace(sample, pages=tuple(pages))
                for group in self.page_groups(sample):
                    relative = self.images_for(sample, group, folder)
                    images_written.update(relative)
                    handle = handles.get(sample.split)
                    if handle is None:
                        handle = handles[sample.split] = open(folder / SPLIT_FILES[sample.split], "w",
                                                              encoding="utf-8", newline="\n")
                    for record in self.records(sample, relative, destination):
                        handle.write(jsonl_line(record))
                        manifest.counts[sample.split] = manifest.counts.get(sample.split, 0) + 1
                        index.write(jsonl_line({"split": sample.split, "line": manifest.counts[sample.split],
                                                "document": sample.document, "file": sample.file_name}))
        finally:
            index.close()
            for handle in handles.values():
                handle.close()
        for split in sorted(handles):
            manifest.add_file(folder, SPLIT_FILES[split])
        manifest.add_file(folder, SAMPLES_FILE)
        for relative in sorted(images_written):
            manifest.add_file(folder, relative)
        (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        return manifest

    def images_for(self, sample: Sample, group: list[int], folder) -> list[str]:
        return [export_page(sample.pages[i], folder, self.max_pixels, self.image_cache) for i in group]


__all__ = ["JsonlWriter", "SAMPLES_FILE", "SPLIT_FILES", "tile_vertically"]
