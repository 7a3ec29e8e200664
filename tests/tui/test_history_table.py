"""The History table's own cell layout draws exactly what DataTable's Rich layout draws."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.renderables.styled import Styled

from tui.safe_text import safe_text
from tui.widgets.history_table import one_line_cell

CONSOLE = Console(width=160, color_system="truecolor")
PRE, POST = Style(bgcolor="#202020", meta={"row": 3}), Style(bold=True)
CELLS = [
    Text("97.3%", justify="right"),
    Text("97.3% best ", justify="right"),  # trailing space: right-justified text is stripped first
    Text("completed", style="green", justify="left"),
    Text("damaged", style="bold red reverse", justify="left"),  # the pad's style shows in reverse video
    Text("●", style="bold yellow"),  # no justification: Rich pads it in no style
    Text(""),
    Text("a long options text that does not fit its column", justify="left"),
    Text("a long options text that does not fit", overflow="ellipsis", justify="left"),
    Text("数字の分類 mixed widths", justify="left"),
    Text("数字の分類", justify="right"),
    Text.assemble(("784-64-10", "cyan"), " ", ("relu", "italic"), justify="left"),
    safe_text("evil\x1b]0;title\x07 message", "", justify="left"),
]


def _rich(cell: Text, width: int) -> list[list[Segment]]:
    """How DataTable 8.2 draws a cell of a row of height 1."""
    options = CONSOLE.options.update_dimensions(width, 1).update(no_wrap=True)
    return CONSOLE.render_lines(Styled(Padding(cell, (0, 1)), pre_style=PRE, post_style=POST), options)


def _cells(line: list[Segment]) -> list[tuple[str, Style]]:
    """A line as (character, style) pairs: the same picture however the segments are split."""
    return [(char, segment.style or Style.null()) for segment in line for char in segment.text]


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.plain[:16] or "empty")
@pytest.mark.parametrize("width", [3, 6, 9, 14, 30, 60])
def test_a_cell_is_drawn_as_rich_draws_it(cell, width):
    segments = one_line_cell(cell, width, 1, CONSOLE)
    assert segments is not None
    ours = list(Segment.apply_style(segments, PRE, POST))
    (theirs,) = _rich(cell, width)
    assert _cells(ours) == _cells(theirs)
    assert sum(s.cell_length for s in ours) == width


@pytest.mark.parametrize("cell", [Text("two\nlines"), Text("tab\there"), Text("x", justify="center")])
def test_other_cells_are_left_to_datatable(cell):
    assert one_line_cell(cell, 12, 1, CONSOLE) is None
    assert one_line_cell(Text("x"), 2, 1, CONSOLE) is None  # no room inside the padding
