"""Prompts: the keys to extract, a system prompt from the schema's hints, and protection
against strings that providers reserve.

Bedrock fails a whole customization job when user or system text contains a reserved
string (``User:``, ``Assistant:``, ``<image>`` ...). Anything that reaches a prompt from
outside -- schema hints, a user's template, a document's own text -- goes through
:func:`neutralise` first.
"""

from __future__ import annotations

import re
from string import Formatter
from typing import Any

RESERVED = ("User:", "Bot:", "Assistant:", "System:", "Thought:", "<image>", "<video>", "[EOS]", "<unk>")
_RESERVED = re.compile("|".join(re.escape(r) for r in RESERVED), re.IGNORECASE)
DEFAULT_TEMPLATE = "Extract these keys as JSON: {keys}"


def neutralise(text: str) -> str:
    """Defuse reserved strings without losing the words: ``User:`` -> ``User -``, ``<image>`` -> ``(image)``."""

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token.endswith(":"):
            return token[:-1] + " -"
        return "(" + token[1:-1] + ")"

    previous = None
    while previous != text:  # replacements can never form a new reserved string, but be sure
        previous, text = text, _RESERVED.sub(replace, text)
    return text


def contains_reserved(text: str) -> list[str]:
    return sorted({m.group(0) for m in _RESERVED.finditer(text)})


def check_template(template: str) -> str:
    """A user's prompt template, if its only placeholder is ``{keys}`` (``{{`` and ``}}`` for
    literal braces). Anything else -- ``{keys.__class__}``, ``{0}``, ``{keys!r}`` -- is refused:
    the template is text with one hole, not code."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in Formatter().parse(template)
                  if name is not None]
    except ValueError as exc:
        raise ValueError(f"the prompt template is not valid: {exc} (write {{{{ and }}}} for literal braces)") from None
    if not fields:
        raise ValueError("a prompt template must contain {keys}, where the keys to extract are listed")
    for name, spec, conversion in fields:
        if name != "keys" or spec or conversion:
            raise ValueError(f"the prompt template may only use the placeholder {{keys}}, not {{{name}"
                             f"{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}")
    return template


def extraction_prompt(schema: dict[str, Any], template: str = DEFAULT_TEMPLATE) -> str:
    keys = ", ".join(sorted(schema.get("properties", {})))
    return neutralise(check_template(template).format(keys=keys))


def system_prompt(schema: dict[str, Any]) -> str:
    title = schema.get("title", "document")
    lines = [f"You extract fields from {title} documents and answer with one JSON object, every key present, "
             "null where a value is not on the document."]
    for name, prop in sorted(schema.get("properties", {}).items()):
        if prop.get("x-hint"):
            lines.append(f"- {name}: {prop['x-hint']}")
    return neutralise("\n".join(lines))


def classification_prompt(classes: list[str]) -> str:
    return neutralise(f"What kind of document is this? Answer with one word: {', '.join(sorted(classes))}.")
