"""What a viewer may not read: social security numbers are shown masked (last four digits)."""

from __future__ import annotations

import re
from typing import Any

from curator.review.users import Actor

SENSITIVE = re.compile(r"(^|\.)(ssn|social_security_number|tin|iban|bank_account)$", re.IGNORECASE)


def is_sensitive(path: str) -> bool:
    return bool(SENSITIVE.search(re.sub(r"\[\d+\]", "", path)))


def mask(value: Any) -> Any:
    if value is None:
        return None
    text = str(value)
    digits = re.sub(r"\D", "", text)
    return "***-**-" + digits[-4:] if len(digits) >= 4 else "****"


def shown(actor: Actor, path: str, value: Any) -> Any:
    """The value as this person may see it."""
    return mask(value) if actor.role == "viewer" and is_sensitive(path) else value
