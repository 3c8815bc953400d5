"""When two values of a field are the same: ``"1.234,56"`` and ``1234.56``, ``20190315`` and
``2019-03-15``, names that differ only in white space. Every stage that compares values
(matching, the teacher's cross-check, accuracy reports, evaluation) uses these.
"""

from __future__ import annotations

from typing import Any

from curator.normalize import money_key, parse_date


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf paths of a target JSON document: ``a.b``, ``arr[0].c``; empty arrays vanish."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, sub in value.items():
            out.update(flatten(sub, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for index, sub in enumerate(value):
            out.update(flatten(sub, f"{prefix}[{index}]"))
    else:
        out[prefix] = value
    return out


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return money_key(a) is not None and money_key(a) == money_key(b)
    if isinstance(a, list) or isinstance(b, list):
        return a == b
    date_a, date_b = _date(a), _date(b)
    if date_a and date_b:
        return date_a == date_b
    return " ".join(str(a).split()) == " ".join(str(b).split())


def _date(value: Any):
    try:
        return parse_date(value) if isinstance(value, str) and any(c in value for c in "-./") else None
    except ValueError:
        return None
