"""Amazon Bedrock fine-tuning datasets (``bedrock-conversation-2024``): Nova and Llama 3.2 Vision.

One JSON object per line; media first, then text in the user turn (Nova's recommended
order); image URIs point at the S3 location the upload will create, in the same bucket as
the JSONL files, as Bedrock requires.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from exports.base import Destination, Sample
from exports.images import load, tile_vertically, write_image
from exports.jsonl import JsonlWriter


class BedrockNovaWriter(JsonlWriter):
    format = "bedrock-nova"

    def records(self, sample: Sample, images: list[str], destination: Destination) -> Iterator[dict[str, Any]]:
        content: list[dict[str, Any]] = []
        for relative in images:
            location: dict[str, Any] = {"uri": destination.uri(relative)}
            if destination.bucket_owner:
                location["bucketOwner"] = destination.bucket_owner
            content.append({"image": {"format": "png", "source": {"s3Location": location}}})
        content.append({"text": self.prompt(sample)})
        record: dict[str, Any] = {"schemaVersion": "bedrock-conversation-2024"}
        system = self.system()
        if system:
            record["system"] = [{"text": system}]
        record["messages"] = [
            {"role": "user", "content": content},
            {"role": "assistant", "content": [{"text": sample.answer}]},
        ]
        yield record


class BedrockLlamaWriter(BedrockNovaWriter):
    """Llama 3.2 Vision takes one image per example: a multi-page document becomes one
    example per page (``pages="per-page"``) or one example with the pages tiled (``"tile"``)."""

    format = "bedrock-llama32"

    def __init__(self, *, pages: str = "per-page", **options) -> None:
        if pages not in ("per-page", "tile"):
            raise ValueError("pages must be per-page or tile")
        options.setdefault("max_pixels", 1_120 * 1_120)
        super().__init__(**options)
        self.pages = pages

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "pages": self.pages}

    def page_groups(self, sample: Sample) -> list[list[int]]:
        if self.pages == "tile" or len(sample.pages) == 1:
            return [list(range(len(sample.pages)))]
        return [[index] for index in range(len(sample.pages))]

    def images_for(self, sample: Sample, group: list[int], folder) -> list[str]:
        if len(group) == 1:
            return super().images_for(sample, group, folder)
        tiled = tile_vertically([load(sample.pages[i]) for i in group])
        return [write_image(tiled, folder, self.max_pixels)]
