"""Connecting to Label Studio with either kind of token, and one clear message when it fails.

The SDK exchanges a personal access token (a JWT refresh token) for short-lived access tokens
and sends anything else as a legacy ``Token``; servers since 1.23 refuse legacy tokens unless
legacy tokens were enabled. Every failure (wrong address, refused token, missing permission)
becomes a ``LabelStudioError`` that says which and what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

T = TypeVar("T")


class LabelStudioError(RuntimeError):
    """Label Studio could not be used as asked; the message says why."""


def explain(url: str, exc: Exception) -> LabelStudioError:
    if isinstance(exc, ApiError):
        status = exc.status_code
        if status == 401:
            return LabelStudioError(
                f"Label Studio at {url} refused the token (HTTP 401): use a personal access token from "
                "Account & Settings, or a legacy token on a server started with --enable-legacy-api-token")
        if status == 403:
            detail = _detail(exc.body)
            return LabelStudioError(f"the token's user may not do this in Label Studio at {url} (HTTP 403"
                                    + (f": {detail}" if detail else "") + "); ask an administrator for access "
                                    "to the project or organization")
        if status == 404:
            return LabelStudioError(f"no Label Studio API at {url} (HTTP 404): check the address")
        return LabelStudioError(f"Label Studio at {url} answered HTTP {status}: {str(exc.body)[:300]}")
    if isinstance(exc, httpx.HTTPError):
        return LabelStudioError(f"cannot reach Label Studio at {url}: {exc}")
    return LabelStudioError(f"Label Studio at {url}: {exc}")


def _detail(body) -> str:
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("validation_errors") or "")[:300]
    return str(body or "")[:300]


def call(url: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return function(*args, **kwargs)
    except (ApiError, httpx.HTTPError) as exc:
        raise explain(url, exc) from None


def connect(url: str, token: str, timeout: float = 120.0) -> LabelStudio:
    """A client whose token was checked (``whoami``) before anything else is sent."""
    if not url.startswith(("http://", "https://")):
        raise LabelStudioError(f"the Label Studio address must start with http:// or https://, got {url!r}")
    try:
        client = LabelStudio(base_url=url.rstrip("/"), api_key=token, timeout=timeout)
    except (ApiError, httpx.HTTPError) as exc:  # a personal access token is exchanged right away
        raise explain(url, exc) from None
    call(url, client.users.whoami)
    return client


def find_project(client: LabelStudio, url: str, title: str) -> Any | None:
    """The project with exactly this title (the API filters by title loosely), or None."""
    return next((p for p in call(url, client.projects.list, title=title) if p.title == title), None)
