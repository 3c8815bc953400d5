"""Sensitive values (SSNs, tax and bank ids, secrets): which fields hold them, and masking.

A schema marks its sensitive fields with ``"x-sensitive": true`` (the W-2's ``employee.ssn``
is one); a field whose name says what it is (``ssn``, ``iban``, ``bank_account``, ``password``
...) counts as sensitive unless its schema says ``"x-sensitive": false``. Their values are
masked wherever Curator writes text that people read later: the audit trail, quarantine
entries, logs, printed reports; viewers see them masked in the UI.

>>> mask("912-34-5678")
'***-**-5678'
>>> redact_text("row 7: SSN 912-34-5678 not unique")
'row 7: SSN ***-**-5678 not unique'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

SENSITIVE_NAME = re.compile(
    r"(^|[._\s-])(ssn|social_?security(_?number)?|tin|taxpayer_?id|iban|bank_?account(_?(number|no))?|"
    r"account_?(number|no)|routing(_?number)?|password|passwd|secret|token|api_?key)$", re.IGNORECASE)
# Shapes that are sensitive wherever they appear in free text.
_SSN = re.compile(r"(?<![\d-])(\d{3})[- ]?(\d{2})[- ](\d{4})(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")


def mask(value: Any) -> Any:
    """Keep the last four digits (what a person needs to tell two records apart)."""
    if value is None:
        return None
    digits = re.sub(r"\D", "", str(value))
    return "***-**-" + digits[-4:] if len(digits) >= 4 else "****"


def _leaf_name(path: str) -> str:
    return re.sub(r"\[\d*\]", "", path).rsplit(".", 1)[-1]


def is_sensitive(path: str, schema: Mapping[str, Any] | None = None) -> bool:
    """Whether the field at ``path`` (``employee.ssn``, ``lines[2].iban``) holds a sensitive value."""
    if schema is not None:
        from curator.labels.paths import schema_at

        try:
            node = schema_at(schema, path)
        except (KeyError, IndexError, TypeError):
            node = {}
        if "x-sensitive" in node:
            return bool(node["x-sensitive"])
    return bool(SENSITIVE_NAME.search(_leaf_name(path)))


def masked(path: str, value: Any, schema: Mapping[str, Any] | None = None) -> Any:
    return mask(value) if value is not None and is_sensitive(path, schema) else value


def audit_value(path: str, value: Any, schema: Mapping[str, Any] | None = None) -> str | None:
    """A field value as the audit trail keeps it: JSON text, sensitive values masked."""
    value = masked(path, value, schema)
    return None if value is None else json.dumps(value, ensure_ascii=False)


def redact_text(text: str) -> str:
    """Free text (an error's detail, a quarantined row) with SSN- and IBAN-shaped values masked."""
    text = _SSN.sub(lambda m: f"***-**-{m.group(3)}", text)
    return _IBAN.sub(lambda m: m.group(0)[:2] + "**" + "*" * 4 + re.sub(r"\s", "", m.group(0))[-4:], text)


def redact_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """An ERP row with the values of sensitive columns masked, and sensitive shapes in the rest."""
    return {column: mask(value) if value not in (None, "") and SENSITIVE_NAME.search(str(column))
            else redact_text(value) if isinstance(value, str) else value
            for column, value in row.items()}
