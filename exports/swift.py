"""ms-swift custom datasets (Qwen2.5-VL and other VLMs): messages plus an ``images`` list.

One ``<image>`` tag per entry of ``images``, in order, at the start of the user turn;
image paths relative to the dataset file. ms-swift drops malformed rows silently unless
run with ``strict``, so ``curator validate --target swift`` checks tags and paths itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from exports.base import Destination, Sample
from exports.jsonl import JsonlWriter

# The AWS document-to-JSON sample's recipe: MAX_PIXELS=602112 (a multiple of 28*28).
SWIFT_MAX_PIXELS = 602_112


class SwiftWriter(JsonlWriter):
    format = "swift"

    def __init__(self, **options) -> None:
        options.setdefault("max_pixels", SWIFT_MAX_PIXELS)
        super().__init__(**options)

    def records(self, sample: Sample, images: list[str], destination: Destination) -> Iterator[dict[str, Any]]:
        messages = []
        system = self.system()
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": "<image>" * len(images) + self.prompt(sample)})
        messages.append({"role": "assistant", "content": sample.answer})
        yield {"messages": messages, "images": images}
