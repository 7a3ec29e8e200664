"""Untrusted strings (from the run store, files, or errors quoting them) made safe to show in a terminal.

A store file can come from someone else, so its strings are data, never instructions: an ESC
sequence would retitle the window, move the cursor or plant a hyperlink (OSC 8), C1 controls
(0x80-0x9f) act as escapes in some terminals, BEL rings, a bidi override (U+202E) reorders what is
shown, a lone surrogate cannot even be encoded, and Rich/Textual markup (``[link=...]``, a lone
``[/]`` that raises MarkupError) would be interpreted. Every such character is shown as a visible
Python-style escape (``\\x1b``, ``\\u202e``) and the result is plain text or a `rich.text.Text`,
never a markup string. JSON output does not come here: it stays exact (json escapes controls).
"""

from __future__ import annotations

import unicodedata

from rich.text import Text

ESCAPE_STYLE = "reverse"
"""How a made-visible control character looks in a `Text`, so it cannot pass for the same
characters typed literally."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Unicode categories never shown raw: controls, format characters (bidi, zero-width), surrogates,
line and paragraph separators."""


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _pieces(value: object, multiline: bool) -> list[tuple[str, bool]]:
    """`value` as runs of (characters, is_escape); the common all-printable string is one piece."""
    string = value if isinstance(value, str) else str(value)
    if string.isprintable():
        return [(string, False)]
    pieces: list[tuple[str, bool]] = []
    start = 0
    for i, char in enumerate(string):
        if (char == "\n" and multiline) or char.isprintable() or unicodedata.category(char) not in _UNSAFE:
            continue
        if start < i:
            pieces.append((string[start:i], False))
        pieces.append((_escape(char), True))
        start = i + 1
    if start < len(string):
        pieces.append((string[start:], False))
    return pieces


def plain(value: object, *, multiline: bool = False) -> str:
    """`value` as a string with every control, format and separator character shown as an escape.

    For `print` and for Textual calls given ``markup=False``; `multiline` keeps newlines.
    """
    return "".join(piece for piece, _ in _pieces(value, multiline))


def safe_text(value: object, style: str = "", *, multiline: bool = False, justify: str | None = None) -> Text:
    """`value` as a `Text` (never parsed as markup), control characters shown as escapes in reverse video."""
    text = Text(style=style, justify=justify)  # type: ignore[arg-type]
    for piece, escaped in _pieces(value, multiline):
        text.append(piece, style=ESCAPE_STYLE if escaped else None)
    return text


def assemble(*parts: object) -> Text:
    """One line from pieces: a `Text` is kept as it is, a ``(value, style)`` pair and any other value go
    through `safe_text` (so a message can mix our words and stored values in one call)."""
    text = Text()
    for part in parts:
        if isinstance(part, Text):
            text.append_text(part)
        elif isinstance(part, tuple):
            text.append_text(safe_text(part[0], part[1]))
        else:
            text.append_text(safe_text(part))
    return text
