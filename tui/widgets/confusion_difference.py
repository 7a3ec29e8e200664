"""The change between two runs' confusion matrices: a signed grid and the pairs that moved most."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from tui.comparison import confusion_difference, pair_changes
from tui.widgets.confusion_matrix import blend

CELL = 5
LABEL = 10
_BETTER = (40, 170, 70)
_WORSE = (210, 60, 50)


def _shade(target: tuple[int, int, int], amount: float) -> Style:
    """White text on the matrix's own colour scale (`blend`)."""
    return Style(color="white", bgcolor=blend(target, amount))


def difference_text(before, after, class_names: tuple[str, ...], *, top: int = 10) -> Text:
    """Grid of `after - before` (green where the second run is better, red where worse) beside a list
    of the true->predicted pairs that changed most."""
    diff = confusion_difference(before, after)
    changes = pair_changes(before, after, limit=top)
    n = len(diff)
    biggest = max(int(np.abs(diff).max()), 1)
    cell = max(CELL, len(f"{biggest:+d}") + 1)  # +1013 needs 6: every column widens with the widest value
    lines: list[Text] = []
    head = Text("true\\pred".ljust(LABEL), style="bold")
    for col in range(n):
        head.append(str(col).rjust(cell), style="bold")
    lines.append(head)
    for row in range(n):
        line = Text(f"{class_names[row][:LABEL - 1]:<{LABEL}}", style="bold")
        for col in range(n):
            delta = int(diff[row, col])
            if delta == 0:
                line.append("·".rjust(cell), style="grey42")
                continue
            good = delta > 0 if row == col else delta < 0
            line.append(" ")
            amount = 0.3 + 0.7 * abs(delta) / biggest
            line.append(f"{delta:+d}".rjust(cell - 1), _shade(_BETTER if good else _WORSE, amount))
        lines.append(line)
    lines.append(Text(""))
    width = LABEL + cell * n + 4
    side = [Text("pairs that changed most (true → predicted)", style="bold")]
    if not changes:
        side.append(Text("no mistakes changed", style="dim"))
    for change in changes:
        entry = Text(f"{class_names[change.true]} → {class_names[change.predicted]}: ")
        entry.append(f"{change.before} → {change.after} ")
        entry.append(f"({change.delta:+d}) {'better' if change.better else 'worse'}",
                     style="green" if change.better else "red")
        side.append(entry)
    out = Text(no_wrap=True)
    for i in range(max(len(lines), len(side))):
        left = lines[i] if i < len(lines) else Text("")
        left = left.copy()
        left.pad_right(width - left.cell_len)
        out.append_text(left)
        if i < len(side):
            out.append_text(side[i])
        out.append("\n")
    out.rstrip()
    return out


class ConfusionDifference(Static):
    """`show(before, after, names)` draws the difference; `explain(text)` says why there is none."""

    DEFAULT_CSS = """
    ConfusionDifference {
        height: auto;
        padding: 0 1;
    }
    """

    def show(self, before, after, class_names: tuple[str, ...]) -> None:
        self.update(difference_text(np.asarray(before), np.asarray(after), class_names))

    def explain(self, text: str) -> None:
        self.update(Text(text, style="dim"))
