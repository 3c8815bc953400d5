"""Content-addressed blob store for originals, rendered pages, page words and derived images.

A blob's key is derived from the sha256 of its bytes, so writing the same page twice is a
no-op and a crashed render never leaves a half-written blob under a valid key (local writes go
to a temporary name and are renamed into place; an S3 object appears whole or not at all).

Two stores: a folder (the embedded default) and S3 (``s3://bucket/prefix``, for a team whose
machines share one store; boto3 honours ``AWS_ENDPOINT_URL``, so MinIO or a moto server work
too). Code that reads a blob asks for its bytes (``get``, or a :class:`BlobPage`), never for a
file path, so nothing needs a local copy when the blobs are in S3.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, Protocol


class BlobStore(Protocol):
    url: str
    root: Path | None  # the folder of a local store; None for S3

    def put(self, data: bytes, *, kind: str, suffix: str = "", digest: str | None = None) -> str: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


class BlobPage:
    """A stored page image, read through its store: what datasets, the teacher and the review UI
    take instead of a file path (the parts of ``pathlib.Path`` they use: name, stem, suffix,
    ``read_bytes``)."""

    def __init__(self, store: BlobStore, key: str) -> None:
        self.store, self.key = store, key
        self.name = PurePosixPath(key).name
        self.stem = PurePosixPath(key).stem
        self.suffix = PurePosixPath(key).suffix

    def read_bytes(self) -> bytes:
        return self.store.get(self.key)

    def open(self) -> io.BytesIO:
        return io.BytesIO(self.read_bytes())

    def __repr__(self) -> str:
        return f"BlobPage({self.key!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BlobPage) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


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


class S3BlobStore:
    """Blobs as objects under ``s3://bucket/prefix/``: content-addressed keys, multipart
    uploads above 16 MB (boto3's transfer manager), botocore's standard retry mode."""

    root = None

    def __init__(self, url: str, client: Any = None) -> None:
        from connectors.documents.s3 import parse_s3_uri

        self.url = url.rstrip("/")
        self.bucket, prefix = parse_s3_uri(self.url)
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 8}))
        self.client = client
        self._known: set[str] = set()  # keys known to exist: saves a HEAD per repeated page

    def object_key(self, key: str) -> str:
        if ".." in PurePosixPath(key).parts or key.startswith("/"):
            raise ValueError(f"blob key escapes the store: {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, data: bytes, *, kind: str, suffix: str = "", digest: str | None = None) -> str:
        from boto3.s3.transfer import TransferConfig

        key = blob_key(data, kind=kind, suffix=suffix, digest=digest)
        if self.exists(key):
            return key
        self.client.upload_fileobj(io.BytesIO(data), self.bucket, self.object_key(key),
                                   Config=TransferConfig(multipart_threshold=16 * 1024 * 1024))
        self._known.add(key)
        return key

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        if key in self._known:
            return True
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        self._known.add(key)
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        self._known.discard(key)

    def put_named(self, key: str, data: bytes) -> None:
        """A derived blob under a name of the caller's (a downscaled page: named by its source)."""
        self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data)
        self._known.add(key)

    def presigned_url(self, key: str, seconds: int = 3600) -> str:
        """A time-limited link to one blob, for a browser or Label Studio."""
        return self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket,
                                                                        "Key": self.object_key(key)},
                                                  ExpiresIn=seconds)


def open_blob_store(url: str, root: Path) -> LocalBlobStore | S3BlobStore:
    """``s3://bucket/prefix`` or a folder (relative to the workspace ``root``)."""
    if url.startswith("s3://"):
        return S3BlobStore(url)
    path = Path(url)
    return LocalBlobStore(path if path.is_absolute() else root / path)
