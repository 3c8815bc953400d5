"""Documents under an S3 prefix (``s3://bucket/prefix``).

Uses the standard boto3 credential chain and honours ``AWS_ENDPOINT_URL`` for S3-compatible
stores (MinIO, moto in tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from connectors.documents.base import SourceFile


# S3's bucket naming rules: 3-63 characters, lower-case letters, digits, dots and hyphens,
# starting and ending with a letter or digit.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix), checked: a malformed URI is refused here, with
    the reason, instead of failing later inside an upload or a paid job."""
    shown = uri.encode("unicode_escape").decode("ascii")[:200]
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {shown!r}")
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {shown!r}")
    if not _BUCKET.match(bucket) or ".." in bucket or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", bucket):
        raise ValueError(f"{shown!r}: {bucket!r} is not a valid S3 bucket name (3-63 lower-case letters, "
                         "digits, dots and hyphens)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in prefix) or "\\" in prefix:
        raise ValueError(f"{shown!r}: control characters or backslashes in the key prefix")
    if any(part in (".", "..") for part in prefix.split("/")):
        raise ValueError(f"{shown!r}: '.' and '..' are not allowed as key parts")
    if len(prefix.encode("utf-8")) > 900:
        raise ValueError(f"{shown!r}: the key prefix is too long for S3 keys")
    return bucket, prefix


class S3Source:
    def __init__(self, bucket: str, prefix: str = "", client: Any | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.uri = f"s3://{bucket}/{prefix}"
        self._client = client

    @classmethod
    def from_uri(cls, uri: str, client: Any | None = None) -> "S3Source":
        bucket, prefix = parse_s3_uri(uri)
        return cls(bucket, prefix, client)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        return self._client

    def documents(self) -> Iterator[SourceFile]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith("/"):
                    continue  # folder placeholder objects
                relative = key[len(self.prefix):].lstrip("/") if self.prefix else key
                yield SourceFile(
                    uri=f"s3://{self.bucket}/{key}",
                    name=key.rsplit("/", 1)[-1],
                    relative_path=relative,
                    size=int(item["Size"]),
                    modified=str(item.get("ETag", "")).strip('"'),
                    opener=lambda key=key: self._open(key),
                )

    def _open(self, key: str) -> BinaryIO:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
