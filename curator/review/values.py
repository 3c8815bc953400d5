"""Text typed by a person (or an annotation tool) into the value the schema wants.

Reviewers type ``1.234,56`` or ``1,234.56`` or ``$ 35.94``; the label stores a number. An
empty box is null. What cannot be read is an error message for the field, never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from curator.normalize import parse_date, parse_decimal


def schema_types(node: Mapping[str, Any]) -> list[str]:
    types = node.get("type", [])
    return [types] if isinstance(types, str) else list(types)


def coerce(node: Mapping[str, Any], text: Any) -> Any:
    """``text`` as the schema node's type; raises ValueError with a message a person can act on."""
    if text is None or (isinstance(text, str) and not text.strip()):
        if "null" in schema_types(node) or not schema_types(node):
            return None
        raise ValueError("a value is required")
    if not isinstance(text, str):
        return text
    text = text.strip()
    types = schema_types(node)
    if "enum" in node and text not in [str(v) for v in node["enum"]]:
        raise ValueError(f"one of {', '.join(str(v) for v in node['enum'] if v is not None)}")
    if "integer" in types:
        number = _decimal(text)
        if number is None or number != int(number):
            raise ValueError(f"{text!r} is not a whole number")
        return int(number)
    if "number" in types:
        number = _decimal(text)
        if number is None:
            raise ValueError(f"{text!r} is not a number")
        return float(number)
    if "boolean" in types:
        lowered = text.lower()
        if lowered in ("true", "yes", "y", "1", "x", "checked"):
            return True
        if lowered in ("false", "no", "n", "0", "", "unchecked"):
            return False
        raise ValueError(f"{text!r} is not yes or no")
    if node.get("format") == "date":
        try:
            parsed = parse_date(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
        return parsed.isoformat()
    return text


def _decimal(text: str):
    try:
        return parse_decimal(text)
    except (ValueError, ArithmeticError):
        return None


def display(value: Any) -> str:
    """How a stored value appears in a text box (the inverse of ``coerce`` for people)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.2f}"
    return str(value)
