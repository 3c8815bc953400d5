"""Bad input as a value: what went wrong with which file, in words a user can act on."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from curator.text import printable as _printable


class Reason:
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    CORRUPT = "corrupt"
    TRUNCATED = "truncated"
    ENCRYPTED = "encrypted"
    NO_PAGES = "no_pages"
    TOO_MANY_PAGES = "too_many_pages"
    DECOMPRESSION_BOMB = "decompression_bomb"
    UNSAFE_NAME = "unsafe_name"
    NOT_A_FILE = "not_a_file"  # FIFO, socket, device, link loop or link to a folder: never opened
    UNREADABLE = "unreadable"
    RENDERER_CRASH = "renderer_crash"


class BadInput(Exception):
    """Raised inside ingest for a file that must go to the quarantine."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Problem:
    file: str
    uri: str
    reason: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def printable(name: str, limit: int = 200) -> str:
    """A file name safe to print: control characters escaped, length bounded.

    Names come from outside (S3 keys, other people's folders); echoing an escape sequence
    into a terminal or a log line is how log injection starts.
    """
    return _printable(name, limit)
