"""Dataset writers, one module per target format, and the uploads they need.

>>> writer = get_writer("bedrock-nova")
>>> manifest = writer.write(samples, destination)
"""

from __future__ import annotations

from exports.base import Destination, Manifest, Sample, Writer
from exports.bedrock import BedrockLlamaWriter, BedrockNovaWriter
from exports.swift import SwiftWriter

FORMATS = {"bedrock-nova": BedrockNovaWriter, "bedrock-llama32": BedrockLlamaWriter, "swift": SwiftWriter}


def get_writer(fmt: str, **options) -> Writer:
    try:
        return FORMATS[fmt](**options)
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}") from None


__all__ = ["Destination", "FORMATS", "Manifest", "Sample", "Writer", "get_writer"]
