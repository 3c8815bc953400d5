"""A label field: what was suggested for it, and what was decided.

Every leaf field of a label is in one of three states:

- ``value``: the field holds a value (``"INV-1"``, ``0``, ``false``);
- ``absent``: the document does not show it -- ``null`` (or ``[]``) in training data. Only a
  person, an agreement rule the user configured, or a mapping rule that declares the ERP
  authoritative for the field (``empty = "absent"``) may decide this;
- ``unknown``: nobody has looked yet -- a gap. An ERP cell that is empty, a teacher that
  answered ``null``, a field nobody mapped: all unknown. Unknown is never written to a
  dataset as ``null``: a model trained on it learns to leave printed values out.

A list (``line_items``) follows the same rule: an unknown list is not an empty list.

Labels keep one entry per leaf path in ``Label.fields`` (JSON): the decision (``state``,
``value``, ``source``, ``agent``, ``confidence``, ``at``) and, apart from it, the
suggestions that disagreed (``candidates``: value, source, agent). :class:`FieldEntry` is the
typed form of one entry; :func:`state_of` reads the state of an entry written by any release.

>>> state_of({"value": None, "source": "erp"})
'unknown'
>>> state_of({"value": None, "source": "human"})
'absent'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

VALUE, ABSENT, UNKNOWN = "value", "absent", "unknown"
STATES = (VALUE, ABSENT, UNKNOWN)
State = Literal["value", "absent", "unknown"]
# Sources whose null is a decision that the document does not show the field.
DECIDES_ABSENT = frozenset({"human"})


class Suggestion(BaseModel):
    """What one source proposed for a field (Argilla's suggestion): never a decision by itself."""

    model_config = ConfigDict(extra="allow")

    value: Any = None
    source: str
    agent: str | None = None
    score: float | None = None
    evidence: dict[str, Any] | None = None


class FieldEntry(BaseModel):
    """One field of a label: its state, the value decided (or proposed) and who it came from."""

    model_config = ConfigDict(extra="allow")

    state: State
    value: Any = None
    source: str | None = None  # erp, rule, teacher, human
    agent: str | None = None
    confidence: float | None = None
    at: str | None = None
    suspect: bool = False
    conflict: bool = False
    candidates: list[Suggestion] = []

    @model_validator(mode="after")
    def _value_matches_state(self) -> "FieldEntry":
        if self.state == VALUE and self.value is None:
            raise ValueError("a field in state 'value' needs a value (null is 'absent' or 'unknown')")
        if self.state == ABSENT and self.value not in (None, [], ""):
            raise ValueError("a field decided 'absent' holds no value")
        return self

    @classmethod
    def read(cls, entry: Mapping[str, Any]) -> "FieldEntry":
        return cls.model_validate({**entry, "state": state_of(entry)})

    def dump(self) -> dict[str, Any]:
        data = self.model_dump(exclude_defaults=True)
        data["state"] = self.state
        data.setdefault("value", None)
        return data


def state_of(entry: Mapping[str, Any] | None) -> str:
    """The state of a stored entry; entries from before states were explicit follow the rule
    of that release: a value is a value, a person's null is absent, any other null unknown."""
    if not entry:
        return UNKNOWN
    state = entry.get("state")
    if state in STATES:
        return state
    if entry.get("value") is not None:
        return VALUE
    return ABSENT if entry.get("source") in DECIDES_ABSENT else UNKNOWN


def is_decided(entry: Mapping[str, Any] | None) -> bool:
    """Decided: a value or absent, and no open conflict between sources."""
    return state_of(entry) != UNKNOWN and not (entry or {}).get("conflict")


def decided_paths(fields: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [path for path, entry in fields.items() if state_of(entry) != UNKNOWN]


def unknown_paths(fields: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return sorted(path for path, entry in fields.items() if state_of(entry) == UNKNOWN)


def decided_values(fields: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Path -> value of the decided fields (``None`` for absent ones)."""
    return {path: entry.get("value") if state_of(entry) == VALUE else None
            for path, entry in fields.items() if state_of(entry) != UNKNOWN}


def with_states(fields: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Entries with their state written out (what every writer stores)."""
    return {path: {**entry, "state": state_of(entry)} for path, entry in fields.items()}


def check_entries(fields: Mapping[str, Mapping[str, Any]]) -> None:
    """Every entry is a valid :class:`FieldEntry` (raises pydantic's ValidationError)."""
    for entry in fields.values():
        FieldEntry.read(entry)


def load(text: str) -> dict[str, dict[str, Any]]:
    return json.loads(text)


def dump(fields: Mapping[str, Mapping[str, Any]]) -> str:
    return json.dumps(with_states(fields), sort_keys=True, ensure_ascii=False)


def absent_entry(agent: str, at: str, source: str = "human") -> dict[str, Any]:
    """A person's (or a configured rule's) decision that the document does not show the field."""
    return {"state": ABSENT, "value": None, "source": source, "agent": agent, "confidence": 1.0, "at": at}


