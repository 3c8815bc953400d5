"""What a viewer may not read: sensitive values (``curator.sensitive``) are shown masked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from curator.access import Actor
from curator.sensitive import is_sensitive, mask

__all__ = ["is_sensitive", "mask", "shown"]


def shown(actor: Actor, path: str, value: Any, schema: Mapping[str, Any] | None = None) -> Any:
    """The value as this person may see it."""
    return mask(value) if actor.role == "viewer" and is_sensitive(path, schema) else value
