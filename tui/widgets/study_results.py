"""A study's leaderboard (configurations, winner on validation) and the marginal effect of each option."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from runs.study_results import ConfigRow, Stat, StudyResults
from runs.study_spec import value_text
from tui.safe_text import plain, safe_text

WINNER = "★"
NOISE = "~"
BAR = 24


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def mean_sd(stat: Stat) -> str:
    """`85.35 ±1.63` (percent; the column header says so)."""
    if stat.mean is None:
        return "—"
    return f"{100 * stat.mean:.2f}" + (f" ±{100 * stat.sd:.2f}" if stat.sd is not None else "")


def versus(row: ConfigRow, winner: ConfigRow | None) -> Text:
    """How a configuration stands against the winner: the winner, within seed noise (~), or p."""
    if winner is not None and row.key == winner.key:
        return Text(f"{WINNER} winner", style="bold green")
    if row.p_value is None:
        return Text("—", style="dim")
    if row.within_noise:
        return Text(f"{NOISE} p={row.p_value:.2f}", style="yellow")
    return Text(f"  p={row.p_value:.3f}")


def leaderboard_cells(row: ConfigRow, flags: list[str], winner: ConfigRow | None) -> list[Text]:
    """One leaderboard row: its varied values, seeds finished, scores.

    val is the validation accuracy of the kept (best-epoch) weights and chooses the winner; last val
    (the last epoch's) and test (of the kept weights, never used to choose) are shown dim beside it.
    """
    cells = [safe_text(value_text(row.params[f])) if f in row.params else Text("·") for f in flags]
    cells += [
        Text(mean_sd(row.val), justify="right", style="bold" if winner is not None and row.key == winner.key else ""),
        versus(row, winner),
        Text(f"{row.finished}/{row.seeds}", justify="right"),
        Text(mean_sd(row.last_val), justify="right", style="dim"),
        Text(mean_sd(row.test), justify="right", style="dim"),
        Text("—" if row.seconds_per_epoch.mean is None else f"{row.seconds_per_epoch.mean:.2f}", justify="right"),
    ]
    return cells


def effects_text(results: StudyResults) -> Text:
    """Each varied option, largest effect first: each value's mean ± sd validation accuracy as a bar.

    The bars share one scale over every value of every option, so their lengths compare across options.
    """
    text = Text()
    means = [v.val.mean for e in results.effects for v in e.values if v.val.mean is not None]
    low, high = (min(means), max(means)) if means else (0.0, 1.0)
    for effect in results.effects:
        spread = "" if effect.spread is None else f"  spread {100 * effect.spread:.2f} points"
        text.append_text(safe_text(effect.option, "bold"))
        text.append(spread + "\n", style="dim")
        width = max((len(plain(v.text)) for v in effect.values), default=0)
        for value in effect.values:
            text.append_text(safe_text(f"  {plain(value.text):<{width}}  "))
            text.append(f"{mean_sd(value.val):>12}  ")
            if value.val.mean is not None:
                share = 1.0 if high == low else (value.val.mean - low) / (high - low)
                text.append("█" * (1 + round(share * (BAR - 1))), style="green")
            text.append(f"  n={value.val.n}\n", style="dim")
    if not results.effects:
        text.append("Nothing is varied: the study repeats one configuration over seeds.", style="dim")
    return text


class StudyResultsView(VerticalScroll):
    """Leaderboard, how the winner was chosen, and the marginal effects, redrawn by `show(results, flags)`."""

    DEFAULT_CSS = """
    StudyResultsView { height: 1fr; scrollbar-size-vertical: 1; }
    StudyResultsView > .study-section { text-style: bold; color: $accent; height: auto; }
    StudyResultsView > DataTable { height: auto; max-height: 14; }
    StudyResultsView > #study-notes { height: auto; color: $text-muted; }
    StudyResultsView > #study-effects { height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static("Leaderboard: mean ±sd over seeds; val = validation accuracy of the kept (best-epoch) weights, "
                     "chooses the winner ★ (~ within seed noise); test never used to choose",
                     classes="study-section")
        yield DataTable(id="leaderboard", cursor_type="row", zebra_stripes=True)
        yield Static("Marginal effects: mean ±sd val (kept weights' validation accuracy, %) per value", classes="study-section")
        yield Static("", id="study-effects")
        yield Static("", id="study-notes")

    def show(self, results: StudyResults | None, flags: list[str]) -> None:
        state = (results, tuple(flags))
        if state == self._shown:
            return
        self._shown = state
        table = self.query_one("#leaderboard", DataTable)
        table.clear(columns=True)
        if results is None:
            self.query_one("#study-notes", Static).update("")
            self.query_one("#study-effects", Static).update("")
            return
        table.add_columns(*flags, "val %", "vs winner", "seeds", "last val %", "test acc %", "s/epoch")
        for row in results.leaderboard:
            table.add_row(*leaderboard_cells(row, flags, results.winner), key=row.key)
        self.query_one("#study-notes", Static).update(Text("\n".join(results.notes)))
        self.query_one("#study-effects", Static).update(effects_text(results))
