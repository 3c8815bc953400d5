"""Target JSON Schemas shipped with Curator for the synthetic corpora (W-2 and invoices)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

BUILTIN = {"w2": "w2.schema.json", "invoice": "invoice.schema.json"}


@cache
def builtin_schema(name: str) -> dict[str, Any]:
    try:
        filename = BUILTIN[name]
    except KeyError as exc:
        raise KeyError(f"no built-in schema {name!r}; known: {', '.join(sorted(BUILTIN))}") from exc
    return json.loads(resources.files(__package__).joinpath(filename).read_text(encoding="utf-8"))
