"""Text from outside (documents, ERP rows, teacher answers, file names, users) shown as text.

Streamlit renders labels, headers, buttons and messages as Markdown: an ERP value such as
``![b](http://host/x.png)`` would make the reviewer's browser fetch that URL, ``[click](...)``
would become a link. Terminals interpret control characters: a file name holding an escape
sequence could rewrite what a user sees. Every value from outside goes through one of
these before it is shown.

>>> plain("po_number") == "po_number" and plain("![b](x)") != "![b](x)"
True
"""

from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be escaped with a backslash. These can start markup
# anywhere (links, images, emphasis, HTML, entities, code, LaTeX, tables, strikethrough):
_ALWAYS = set("\\`*{}[]<>()#!|~$&")
# These only at the start of a line (lists, block quotes, headings made with = or -).
_LEADING = re.compile(r"^(\s*)([-+=>]|\d+[.)])")
# Emoji shortcodes (":smile:"), Streamlit directives (":red[...]", ":material/x:") and the
# URLs GitHub-flavoured Markdown turns into links by itself ("http://...", "www.").
_SHORTCODE = re.compile(r":(?=[A-Za-z0-9_+/-]+:)|:(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")
# An underscore makes emphasis only at a word's edge: "po_number" stays as it is.
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with control characters escaped (``\\x1b``), bytes that were not UTF-8
    (surrogate escapes from the file system) shown as ``\\xff``, and the length bounded."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    result = "".join(out)
    return result if limit is None or len(result) <= limit else result[: limit - 1] + "…"


def plain(text: object) -> str:
    """``text`` for any Streamlit element that renders Markdown: shown exactly, never as markup.
    Line breaks become spaces (labels are one line) and control characters are escaped. Only
    what could start markup is backslash-escaped, so labels stay readable (``po_number``) to
    screen readers too."""
    line = printable(str(text).replace("\r\n", " ").replace("\n", " "))
    line = "".join("\\" + ch if ch in _ALWAYS else ch for ch in line)
    line = _SHORTCODE.sub(r"\\:", line)
    line = _WWW.sub(r"\1\\.", line)
    line = _EDGE_UNDERSCORE.sub(lambda m: "\\" + m.group(0), line)
    return _LEADING.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], line)


def for_terminal(text: object) -> str:
    """``text`` for a rich console: control characters escaped and rich's ``[markup]`` disarmed."""
    from rich.markup import escape

    return escape(printable(str(text)))
