"""Upload an export folder to S3: multipart for large files, SHA-256 checksums verified by S3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

from connectors.documents.s3 import parse_s3_uri

TRANSFER = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024)


def upload_folder(folder: Path, s3_prefix: str, files: list[str], client: Any | None = None) -> list[str]:
    """Upload ``files`` (paths relative to ``folder``) under ``s3_prefix``; returns their URIs.

    Objects that already hold the same bytes (same SHA-256) are not sent again, so an
    interrupted upload resumes where it stopped.
    """
    import base64
    import hashlib

    import boto3
    from botocore.exceptions import ClientError

    client = client or boto3.client("s3")
    bucket, prefix = parse_s3_uri(s3_prefix)
    uris = []
    for relative in files:
        path = folder / relative
        key = f"{prefix.rstrip('/')}/{relative}" if prefix else relative
        digest = base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
        try:
            head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
            if head.get("ChecksumSHA256") == digest or head.get("Metadata", {}).get("sha256") == digest:
                uris.append(f"s3://{bucket}/{key}")
                continue
        except ClientError:
            pass
        client.upload_file(str(path), bucket, key, Config=TRANSFER,
                           ExtraArgs={"ChecksumAlgorithm": "SHA256", "Metadata": {"sha256": digest}})
        uris.append(f"s3://{bucket}/{key}")
    return uris
