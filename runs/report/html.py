"""The report's HTML: one self-contained page, every stored string escaped on its way in.

Stored text (messages, paths, config values, names) is untrusted: `esc` turns anything into
text that shows as itself — markup characters become entities and control characters are
replaced — and only `Html` values (built here, or SVG from `runs.report.figures`) pass
through unescaped. The page links nothing: its style sheet is inline and it has no script.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Sequence

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""C0/C1 controls, line separators and bidirectional overrides: shown as U+FFFD, never obeyed."""


_NUMBER = re.compile(r"^[-+]?(\d[\d,]*(\.\d+)?(e[-+]?\d+)?|—)( ?/ ?\d+)?(%| %| s| pts)?( ± \d+(\.\d+)?)?( @ \d+)?$")
"""Cells that hold a number (or the missing-value dash) are right-aligned, all others left."""


class Html(str):
    """Markup produced by this package; `esc` leaves it as it is, and `+` escapes what is not Html."""

    def __add__(self, other: Any) -> "Html":
        return Html(str.__add__(self, esc(other)))

    def __radd__(self, other: Any) -> "Html":
        return Html(str.__add__(esc(other), self))


def esc(value: Any) -> Html:
    if isinstance(value, Html):
        return value
    return Html(html.escape(_CONTROL.sub("\ufffd", str(value)), quote=True))


def join(parts: Iterable[Any], sep: str = "") -> Html:
    return Html(sep.join(esc(p) for p in parts))


def tag(name: str, content: Any = "", **attrs: Any) -> Html:
    """`<name attr="...">content</name>`; `class_` gives the class attribute."""
    rendered = "".join(f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None)
    return Html(f"<{name}{rendered}>{esc(content)}</{name}>")


def table(headers: Sequence[Any] | None, rows: Iterable[Sequence[Any]], class_: str | None = None,
          row_classes: Sequence[str | None] | None = None) -> Html:
    """A table; `headers` None gives one without a header row."""
    head = tag("thead", tag("tr", join(tag("th", h) for h in headers))) if headers else Html("")
    body_rows = []
    for i, row in enumerate(rows):
        css = row_classes[i] if row_classes and i < len(row_classes) else None
        body_rows.append(tag("tr", join(tag("td", c, class_="num" if _NUMBER.match(str(c)) else None)
                                        for c in row), class_=css))
    return tag("div", tag("table", head + tag("tbody", join(body_rows)), class_=class_), class_="table-wrap")


def figure(svg: str, caption: str) -> Html:
    return tag("figure", Html(svg) + tag("figcaption", caption), class_="plot")


def facts(items: Sequence[tuple[str, Any]]) -> Html:
    """A row of headline numbers (label above, value below)."""
    return tag("div", join(tag("div", tag("span", label, class_="label") + tag("span", value, class_="value"),
                                 class_="fact") for label, value in items), class_="facts")


def page(title: str, subtitle: str, body: Html) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<header><h1>{esc(title)}</h1><p class=\"subtitle\">{esc(subtitle)}</p></header>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


STYLE = """
:root { --ink:#1d2330; --muted:#5f6b7a; --line:#dfe3e8; --soft:#f5f7fa; --accent:#3b6fb6; --good:#2e7d4f; --bad:#b3202a; }
* { box-sizing: border-box; }
body { margin:0; background:#eef1f5; color:var(--ink); font:14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1040px; margin: 24px auto; background:#fff; padding: 28px 36px 40px; border-radius: 10px;
       box-shadow: 0 1px 3px rgba(0,0,0,.08); }
header { border-bottom: 3px solid var(--accent); padding-bottom: 10px; margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 2px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.subtitle { color: var(--muted); margin: 0; }
.status { display:inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
          background: var(--soft); color: var(--muted); vertical-align: middle; }
.status.completed { background:#e3f3e9; color:var(--good); }
.status.diverged, .status.failed { background:#fbe4e6; color:var(--bad); }
.status.cancelled, .status.interrupted { background:#fff2dc; color:#9a6200; }
.facts { display:flex; flex-wrap:wrap; gap: 10px; margin: 12px 0 4px; }
.fact { background: var(--soft); border-radius: 8px; padding: 8px 14px; min-width: 130px; }
.fact .label { display:block; color: var(--muted); font-size: 12px; }
.fact .value { display:block; font-size: 20px; font-weight: 650; }
.table-wrap { overflow-x: auto; margin: 6px 0 12px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.settings td.num { text-align: left; }
th { background: var(--soft); font-weight: 600; }
table.wrap td { white-space: normal; }
tr.best td { background: #eef6ff; font-weight: 600; }
tr.differs td { background: #fff7e0; }
.digest { white-space: normal; word-break: break-all; }
thead.none { display: none; }
td.mono, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.two { display:grid; grid-template-columns: minmax(0,1fr) minmax(0,1fr); gap: 24px; align-items:start; }
@media (max-width: 800px) { .two { grid-template-columns: 1fr; } main { padding: 16px; } }
figure.plot { margin: 8px 0 16px; }
figure.plot svg { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 2px; }
.note { color: var(--muted); font-style: italic; }
.message { background:#fbe4e6; color:var(--bad); padding: 6px 10px; border-radius: 6px; white-space: pre-wrap; }
section.run { margin-top: 10px; }
@media print { body { background: #fff; } main { box-shadow: none; margin: 0; max-width: none; } section.run { break-before: page; } }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
"""
