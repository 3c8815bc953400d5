"""Text from outside (documents, ERP rows, teacher answers, file names, users) shown as text.

Streamlit renders labels, headers, buttons and messages as Markdown: an ERP value such as
``![b](http://host/x.png)`` would make the reviewer's browser fetch that URL, ``[click](...)``
would become a link. Terminals interpret control characters: a file name holding an escape
sequence could rewrite what a user sees. Every value from outside goes through one of
these before it is shown.

>>> plain("![b](http://host/x.png)")
'\\\\!\\\\[b\\\\]\\\\(http\\\\:\\\\/\\\\/host\\\\/x\\\\.png\\\\)'
"""

from __future__ import annotations

import string

# CommonMark lets any ASCII punctuation be escaped with a backslash; escaped, none of it can
# start a link, an image, emphasis, HTML, a directive (":red[...]") or LaTeX ("$...$").
_MARKDOWN = str.maketrans({ch: "\\" + ch for ch in string.punctuation})


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
    Line breaks become spaces (labels are one line) and control characters are escaped."""
    return printable(str(text).replace("\r\n", " ").replace("\n", " ")).translate(_MARKDOWN)


def for_terminal(text: object) -> str:
    """``text`` for a rich console: control characters escaped and rich's ``[markup]`` disarmed."""
    from rich.markup import escape

    return escape(printable(str(text)))
