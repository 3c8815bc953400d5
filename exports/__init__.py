"""Dataset writers, one module per target format, and the uploads they need.

>>> writer = get_writer("bedrock-nova")
>>> manifest = writer.write(samples, destination)
"""

from __future__ import annotations

import inspect

from exports.base import Destination, Manifest, Sample, Writer
from exports.bedrock import BedrockLlamaWriter, BedrockNovaWriter
from exports.swift import SwiftWriter

FORMATS = {"bedrock-nova": BedrockNovaWriter, "bedrock-llama32": BedrockLlamaWriter, "swift": SwiftWriter}


def writer_options(cls: type) -> frozenset[str]:
    """The options a writer takes: the keyword parameters of its constructors, down its classes."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        names |= {name for name, parameter in inspect.signature(init).parameters.items()
                  if name != "self" and parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)}
    return frozenset(names)


def get_writer(fmt: str, **options) -> Writer:
    """The writer of ``fmt``, given the options it owns; options another format owns (a Llama
    page layout for a swift export) are not its business and are left out."""
    try:
        cls = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}") from None
    owned = writer_options(cls)
    return cls(**{name: value for name, value in options.items() if name in owned})


__all__ = ["Destination", "FORMATS", "Manifest", "Sample", "Writer", "get_writer"]
