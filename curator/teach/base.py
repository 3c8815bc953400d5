"""The small interface every teacher implements, and the errors it may raise.

>>> answer = teacher.extract(pages, schema, known={"invoice_number": "RE-2019-00042"})
>>> answer.values["due_date"], answer.input_tokens
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Price:
    """US dollars per 1,000 tokens."""

    input_per_1k: float
    output_per_1k: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return input_tokens / 1000 * self.input_per_1k + output_tokens / 1000 * self.output_per_1k


# On-demand prices per 1,000 tokens (us-east-1); override with --price IN,OUT.
PRICES = {
    "us.amazon.nova-premier-v1:0": Price(0.0025, 0.0125),
    "amazon.nova-premier-v1:0": Price(0.0025, 0.0125),
    "us.amazon.nova-pro-v1:0": Price(0.0008, 0.0032),
    "us.amazon.nova-lite-v1:0": Price(0.00006, 0.00024),
}
UNKNOWN_PRICE = Price(0.0, 0.0)


@dataclass
class TeacherAnswer:
    values: dict[str, Any]
    confidences: dict[str, float] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    raw: str = ""
    attempts: int = 1  # requests the SDK sent for this answer (its own retries included)


class TeacherError(Exception):
    """``kind``: throttled and server are retried; invalid gets one repair try; refused is final."""

    def __init__(self, kind: str, message: str, raw: str = "", attempts: int = 1) -> None:
        super().__init__(message)
        self.kind = kind
        self.raw = raw
        self.attempts = attempts  # requests the SDK sent before giving up


class Teacher(Protocol):
    model: str

    def extract(self, pages: Sequence[Path], schema: Mapping[str, Any], known: Mapping[str, Any],
                instruction: str) -> TeacherAnswer: ...


# An endpoint that cannot be reached is asked twice per document, not six times: the run's
# circuit breaker (``[teacher] breaker_failures``) stops it after a few such documents in a row.
UNREACHABLE_ATTEMPTS = 2


def sdk_retries(teacher: object, max_attempts: int, backoff: float) -> bool:
    """Hand throttling and server-error retries to the teacher's SDK when it has a retry mode
    (botocore's ``adaptive`` mode, urllib3's ``Retry`` under requests); False when it has none
    (or was given a client whose configuration is its caller's), and ``ask_with_retries`` does it."""
    use = getattr(teacher, "use_sdk_retries", None)
    return bool(use and use(max_attempts, backoff))


def ask_with_retries(call: Callable[[bool], T], *, max_attempts: int, backoff: float,
                     repair: bool = False, sdk_retried: bool = False) -> tuple[T | TeacherError, int, int]:
    """Ask a model until it answers: (answer or the last error, requests sent, milliseconds).

    Throttling and server errors back off exponentially with jitter, so concurrent workers
    spread out instead of hitting the throttle again together -- unless ``sdk_retried``: the
    SDK's own retry mode already did that, and what reaches here is final. With ``repair``, an
    answer that could not be read gets one more try with ``call(True)`` (a prompt that says so).
    Anything else is final.
    """
    started = time.perf_counter()
    repairing = False
    last: TeacherError | None = None
    sent = 0
    for attempt in range(1, max_attempts + 1):
        try:
            answer = call(repairing)
            sent += getattr(answer, "attempts", 1)
            return answer, sent, int((time.perf_counter() - started) * 1000)
        except TeacherError as error:
            last = error
            sent += error.attempts
            if error.kind == "invalid" and repair and not repairing:
                repairing = True
                continue
            if error.kind in ("throttled", "server") and attempt < max_attempts and not sdk_retried or \
                    error.kind == "unreachable" and attempt < min(max_attempts, UNREACHABLE_ATTEMPTS):
                time.sleep(min(30.0, backoff * 2 ** (attempt - 1)) * (0.5 + random.random()))
                continue
            return error, sent, int((time.perf_counter() - started) * 1000)
    return last, sent, int((time.perf_counter() - started) * 1000)
