"""Names users give to things that become file names (runs, exports, jobs).

A name is a slug: letters, digits, dots, dashes and underscores, so ``--name ../../x`` can
never reach outside the folder it names a child of.
"""

from __future__ import annotations

import re

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def slug(name: str | None, what: str = "name") -> str:
    """``name`` if it is a safe slug, else ValueError saying what is allowed."""
    if name is None or not _SLUG.match(name) or ".." in name:
        shown = (name or "").encode("unicode_escape").decode("ascii")[:80]
        raise ValueError(f"{what} {shown!r} is not allowed: use 1-128 letters, digits, '.', '-' or '_' "
                         "(starting with a letter or digit, no '..')")
    return name
