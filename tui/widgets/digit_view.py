"""Test images drawn as 28x28 half-block pictures, each with its label and top-3 probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.containers import ItemGrid, VerticalScroll
from textual.widgets import Static

from tui.digit_art import digit_text
from tui.safe_text import safe_text

CARD_WIDTH = 28


@dataclass(frozen=True)
class DigitItem:
    """One test image: its index in the test set, true class and predicted probabilities."""

    index: int
    image: np.ndarray
    true: int
    probabilities: np.ndarray


def caption(item: DigitItem, class_names: tuple[str, ...]) -> Text:
    """Two lines: `#index true -> predicted`, then the three most probable classes."""
    order = np.argsort(-item.probabilities, kind="stable")[:3]
    predicted = int(order[0])
    wrong = predicted != item.true
    first = Text(f"#{item.index} ", style="dim")
    first.append(class_names[item.true], style="bold")
    first.append(" → ")
    first.append(class_names[predicted], style="bold red" if wrong else "bold green")
    first.truncate(CARD_WIDTH)
    second = Text("  ".join(f"{k} {100 * item.probabilities[k]:.0f}%" for k in order))
    second.truncate(CARD_WIDTH)
    return Text("\n").join([first, second])


class DigitCard(Static):
    """A single picture and its caption."""

    DEFAULT_CSS = """
    DigitCard {
        width: 28;
        height: 16;
    }
    """

    def __init__(self, item: DigitItem, class_names: tuple[str, ...]) -> None:
        super().__init__(Text("\n").join([digit_text(item.image), caption(item, class_names)]))
        self.item = item


class DigitView(VerticalScroll):
    """A scrolling grid of digit cards under a one-line title."""

    DEFAULT_CSS = """
    DigitView {
        height: 1fr;
    }
    DigitView > #digit-title {
        height: auto;
        color: $text-muted;
        padding: 0 1;
    }
    DigitView ItemGrid {
        grid-gutter: 0 2;
    }
    """

    def compose(self):
        yield Static("", id="digit-title")
        yield ItemGrid(min_column_width=CARD_WIDTH, id="digit-grid")

    def show(self, title: str, items: list[DigitItem], class_names: tuple[str, ...]) -> None:
        """Replace the cards with `items` under `title`."""
        self.query_one("#digit-title", Static).update(safe_text(title, multiline=True))
        grid = self.query_one("#digit-grid", ItemGrid)
        grid.remove_children()
        grid.mount_all([DigitCard(item, class_names) for item in items])
        self.scroll_home(animate=False)

    def message(self, text: str) -> None:
        """Show only a title line (loading, errors, hints)."""
        self.show(text, [], ())
