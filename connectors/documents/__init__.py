"""Document sources: where the historic PDFs and scans live (a folder, an S3 prefix).

A source only lists and opens files; deciding whether a file is a usable document is
ingest's job, so every source gets the same checks.

>>> source = open_document_source("s3://invoices/2019/")   # or a folder path
>>> for file in source.documents():
...     data = file.read()
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from connectors.documents.base import SourceFile
from connectors.documents.folder import FolderSource
from connectors.documents.s3 import S3Source


class DocumentSource(Protocol):
    uri: str

    def documents(self) -> Iterator[SourceFile]: ...


def open_document_source(location: str) -> DocumentSource:
    if location.startswith("s3://"):
        return S3Source.from_uri(location)
    return FolderSource(location)


__all__ = ["DocumentSource", "FolderSource", "S3Source", "SourceFile", "open_document_source"]
