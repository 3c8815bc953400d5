"""Content-addressed blob store for rendered pages and original files.

A blob's key is derived from the sha256 of its bytes, so writing the same page twice is a
no-op and a crashed render never leaves a half-written file under a valid key (writes go
to a temporary name and are renamed into place).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    url: str

    def put(self, data: bytes, *, kind: str, suffix: str = "", digest: str | None = None) -> str: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def path(self, key: str) -> Path: ...


def blob_key(data: bytes, *, kind: str, suffix: str = "", digest: str | None = None) -> str:
    """``digest`` may be passed when the caller already hashed ``data`` (saves a pass)."""
    digest = digest or hashlib.sha256(data).hexdigest()
    return f"{kind}/{digest[:2]}/{digest}{suffix}"


class LocalBlobStore:
    """Blobs as files under one directory (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.url = str(self.root)
        self._folders: set[Path] = set()  # folders known to exist: saves a syscall per blob

    def path(self, key: str) -> Path:
        resolved = (self.root / key).resolve()
        if self.root.resolve() not in resolved.parents:
            raise ValueError(f"blob key escapes the store: {key!r}")
        return resolved

    def put(self, data: bytes, *, kind: str, suffix: str = "", digest: str | None = None) -> str:
        key = blob_key(data, kind=kind, suffix=suffix, digest=digest)
        target = self.path(key)
        if target.exists():
            return key
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def delete(self, key: str) -> None:
        """Remove a blob (only ever one its own caller just created and nothing references)."""
        self.path(key).unlink(missing_ok=True)


def open_blob_store(url: str, root: Path) -> LocalBlobStore:
    if url.startswith("s3://"):
        raise ValueError("an S3 blob store is not supported yet; use a local directory")
    path = Path(url)
    return LocalBlobStore(path if path.is_absolute() else root / path)
