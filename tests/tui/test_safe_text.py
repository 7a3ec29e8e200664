"""`tui.safe_text`: every control, format and separator character comes out as a visible escape,
everything printable comes out unchanged, and markup is never parsed."""

from __future__ import annotations

import io
import unicodedata

from rich.console import Console

from tui.safe_text import ESCAPE_STYLE, assemble, plain, safe_text

UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def test_no_unsafe_character_of_the_basic_plane_survives():
    everything = "".join(map(chr, range(0x10000))) + "\U000e0001\U000e0041\U0001d173"  # + tag and format chars
    shown = plain(everything)
    assert not [c for c in shown if unicodedata.category(c) in UNSAFE]
    shown.encode("utf-8")  # lone surrogates are escaped too, so the text can be written at all


def test_controls_become_python_style_escapes():
    assert plain("a\x1b]0;t\x07b") == "a\\x1b]0;t\\x07b"
    assert plain("\x9b2J\x00\x7f") == "\\x9b2J\\x00\\x7f"
    assert plain("\u202eevil\u2066\u200b") == "\\u202eevil\\u2066\\u200b"
    assert plain("tab\there\r\nnext") == "tab\\there\\r\\nnext"
    assert plain("\U000e0041") == "\\U000e0041"


def test_multiline_keeps_only_newlines():
    assert plain("one\ntwo\x1b\r", multiline=True) == "one\ntwo\\x1b\\r"


def test_printable_text_is_unchanged():
    text = "mnist é 数字 ★ ≠ 😀 a\u00a0b [link=x]y[/link] [/] \\x1b"
    assert plain(text) == text
    rich_text = safe_text(text, "bold")
    assert rich_text.plain == text and not rich_text.spans and rich_text.style == "bold"


def test_escapes_are_marked_so_they_differ_from_typed_backslashes():
    text = safe_text("a\x1bb")
    assert text.plain == "a\\x1bb"
    assert [(s.start, s.end, s.style) for s in text.spans] == [(1, 5, ESCAPE_STYLE)]


def test_markup_is_printed_literally():
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(assemble("message: ", ("[link=http://e.x]y[/link] [/]", "red")))
    assert out.getvalue() == "message: [link=http://e.x]y[/link] [/]\n"


def test_non_strings_are_shown_by_their_str():
    assert plain(3) == "3" and safe_text(None).plain == "None"
    assert plain(OSError("no such folder: a\x1bb")) == "no such folder: a\\x1bb"
