"""The ``curator`` command. Thin: parse options, call a stage, print its report."""

from __future__ import annotations

import sys

from curator.cli.app import app


def _one_line(exc: BaseException) -> str | None:
    """A failure of something outside Curator (a database, an S3 endpoint, a corrupt archive)
    as one line, or None when it is a bug that deserves its traceback."""
    from curator.sensitive import redact_text
    from curator.text import printable

    kind = type(exc).__module__.split(".")[0]
    if kind in ("botocore", "boto3", "s3transfer"):
        what = "AWS"
    elif kind in ("sqlalchemy", "psycopg", "psycopg2", "sqlite3"):
        what = "the store"
    elif kind in ("zipfile", "requests", "urllib3", "label_studio_sdk", "httpx"):
        what = kind
    elif isinstance(exc, (ConnectionError, TimeoutError)):
        what = "the network"
    else:
        return None
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{what}: {type(exc).__name__}: {printable(redact_text(detail[0] if detail else ''), 300)}"


def main() -> None:
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - only to turn outside failures into one line
        line = _one_line(exc)
        if line is None:
            raise
        sys.stderr.write(f"error: {line}\n")
        sys.exit(2)


__all__ = ["app", "main"]
