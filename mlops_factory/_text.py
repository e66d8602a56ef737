"""Terminal-safe text: the one function every renderer passes file-borne strings through.

A string read from a repository, a model file or a user's data file can carry terminal
escapes (colour, window title, screen clear) or bidi overrides that make a snippet lie
about the code (Trojan Source). :func:`clean` makes them visible escapes instead.
"""

from __future__ import annotations

import unicodedata

# Invisible or reordering characters that could make a snippet lie about the code
# (Trojan Source) or drive the terminal; shown as escapes instead.
_FORMAT_CHARS = frozenset(
    [
        *(0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)


def clean(text: str | None) -> str:
    """Text from a file, made safe to show: control and bidi characters become visible
    escapes (``\\x1b``, ``\\u202e``); tabs become spaces."""
    if not text:
        return ""
    if text.isprintable():  # the common case: nothing to replace
        return text
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch == "\t":
            out.append(" ")
        elif code in _FORMAT_CHARS:
            out.append(f"\\u{code:04x}")
        elif unicodedata.category(ch) == "Cc":
            out.append("\\n" if ch == "\n" else f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)


def markup(text: str | None) -> str:
    """Text from a file for a rich ``console.print`` string: terminal-safe (:func:`clean`)
    and read as literal text, never as rich markup (``[bold]``, ``[link=...]``)."""
    from rich.markup import escape

    return str(escape(clean(text)))
