"""History's sort menu: every column at once, instead of stepping through them one `s` at a time."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


class SortMenu(ModalScreen[tuple[str, bool] | None]):
    """Dismisses with (column key, reverse), or None on Escape. Choosing the column the table is
    sorted by flips its direction; another column sorts descending for accuracies and times
    (the best and slowest first), ascending otherwise."""

    DEFAULT_CSS = """
    SortMenu { align: center middle; }
    SortMenu > Vertical { width: 40; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    SortMenu OptionList { height: auto; max-height: 16; border: none; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, columns: list[tuple[str, str]], current: str, reverse: bool,
                 descending_first: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.columns, self.current, self.reverse = columns, current, reverse
        self.descending_first = descending_first

    def compose(self) -> ComposeResult:
        options = []
        for key, label in self.columns:
            now = f"  {'▼' if self.reverse else '▲'} now (choose to reverse)" if key == self.current else ""
            options.append(Option(f"{label}{now}", id=key))
        with Vertical():
            yield Label("Sort the history by", id="sort-title")
            yield OptionList(*options, id="sort-options")

    def on_mount(self) -> None:
        menu = self.query_one(OptionList)
        menu.highlighted = next(i for i, (key, _) in enumerate(self.columns) if key == self.current)
        menu.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id
        reverse = not self.reverse if key == self.current else key in self.descending_first
        self.dismiss((key, reverse))

    def action_cancel(self) -> None:
        self.dismiss(None)
