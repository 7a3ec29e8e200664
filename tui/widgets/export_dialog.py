"""The modal the run history asks for an export file (deletion uses tui.dialogs.confirm)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from tui.safe_text import safe_text


class ExportDialog(ModalScreen[Path | None]):
    """Ask where to export; the suffix (.csv or .json) picks the format. Dismisses with None on cancel."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical {
        width: 72; height: auto; border: thick $primary; background: $surface; padding: 1 2;
    }
    ExportDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ExportDialog Button { margin-left: 2; }
    ExportDialog #export-error { color: $error; height: auto; width: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    SUFFIXES = (".csv", ".json")

    def __init__(self, title: str, default: Path) -> None:
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(str(self.default), id="export-path")
            yield Label("", id="export-error")
            with Horizontal():
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _submit(self) -> None:
        text = self.query_one(Input).value.strip()
        path = Path(text).expanduser()
        problem = None
        if not text:
            problem = "type a file path"
        elif path.suffix.lower() not in self.SUFFIXES:
            problem = f"{path.name}: the name must end in .csv or .json (got {path.suffix or 'no suffix'!r})"
        elif path.is_dir():
            problem = f"{path} is a folder; add a file name"
        elif path.exists():
            problem = f"{path} already exists; choose another name (nothing is overwritten)"
        elif not path.parent.is_dir():
            problem = f"folder {path.parent} does not exist"
        if problem:
            self.query_one("#export-error", Label).update(safe_text(problem))  # quotes the typed path
            return
        self.dismiss(path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
