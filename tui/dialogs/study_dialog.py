"""The "new study" dialog: the Train options as text fields where a comma list means "vary this".

Keyboard first: every field is a text box (Tab, or up and down, move between them), choice
fields complete what is typed (right arrow takes the completion), and the line at the bottom
shows as you type how many trials the study has, roughly how long it takes (runs.study_estimate)
and the equivalent `mnist-tui study run` command. Enter starts; Escape closes. Dismisses with the
StudySpec, or None.
"""

from __future__ import annotations

import shlex
from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Static

from nn_core.config import ConfigError
from runs.config import RunConfig
from runs.study_estimate import study_seconds
from runs.study_spec import SpecError, StudySpec
from tui.study_form import (FIELDS, SEEDS, StudyForm, build_spec, choices, initial_texts, label, parse_form,
                            separator, split)
from tui.widgets.options_panel import OPTIONS

NAME = "name"
PLACEHOLDER = {"hidden_sizes": "(set by Hidden layers)", "limit": "all", NAME: "optional"}
MAX_NAME = 80
LARGE_STUDY = 500
"""Above this many trials Enter asks once more (as `study run` does without --yes)."""
MAX_LISTED = 20000
"""Grids up to this size are expanded to count trials exactly and estimate their time."""
MEASURE_DELAY_S = 0.15
"""Sizing a large grid takes a while: it waits for a pause in typing."""


class ListSuggester(Suggester):
    """Completes the value being typed after the last separator from a field's choices."""

    def __init__(self, field: str) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.field = field
        self.choices = choices(field)

    async def get_suggestion(self, value: str) -> str | None:
        head, sep, last = value.rpartition(separator(self.field))
        typed = last.strip()
        if not typed:
            return None
        match = next((c for c in self.choices if c.startswith(typed) and c != typed), None)
        return None if match is None else value + match[len(typed):]


HINTS = {
    SEEDS: "a count (3) or seeds (0,5,9)", "hidden_sizes": "128,64/256 (or use Hidden layers)",
    "limit": "images, or all", "val_size": "images held out", "momentum": "e.g. 0.5,0.9",
    "learning_rate": "e.g. 0.01,0.03,0.1", "decay_rate": "e.g. 0.95,0.98", "epochs": "e.g. 5",
    "batch_size": "e.g. 32,128", "l1_lambda": "e.g. 1e-5,1e-4", "l2_lambda": "e.g. 0,1e-4",
}


def _hint(field: str) -> str:
    return HINTS.get(field) or ", ".join(choices(field))


class StudyDialog(ModalScreen[StudySpec | None]):
    """Design a study starting from `config` (the Train tab's options)."""

    DEFAULT_CSS = """
    StudyDialog { align: center middle; }
    StudyDialog > Vertical {
        width: 100%; max-width: 110; height: 100%; max-height: 32;
        border: thick $primary; border-title-style: bold; background: $surface; padding: 0 1;
    }
    StudyDialog #study-intro { height: auto; color: $text-muted; }
    StudyDialog VerticalScroll { height: 1fr; scrollbar-size-vertical: 1; }
    StudyDialog .study-row { height: 1; }
    StudyDialog .study-label { width: 15; height: 1; color: $text-muted; }
    StudyDialog .study-row.-varied .study-label { color: $accent; text-style: bold; }
    StudyDialog .study-row.-invalid .study-label { color: $error; text-style: bold; }
    StudyDialog .study-row Input { width: 1fr; }
    StudyDialog .study-hint { width: 2fr; height: 1; color: $text-muted; padding-left: 1; }
    StudyDialog .study-row.-varied .study-hint { color: $accent; }
    StudyDialog #study-summary { height: auto; border-top: solid $primary 30%; text-style: bold; }
    StudyDialog #study-error { height: auto; color: $error; }
    StudyDialog #study-command { height: auto; color: $text-muted; }
    StudyDialog #study-buttons { height: auto; align-horizontal: right; }
    StudyDialog Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        # priority: the field list's scroll container would take up and down to scroll it instead
        Binding("down", "app.focus_next", "Next field", show=False, priority=True),
        Binding("up", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(self, config: RunConfig, *, workers: int = 1) -> None:
        super().__init__()
        self._texts = initial_texts(config)
        self._data_dir = config.data.data_dir
        self._workers = workers
        self.form: StudyForm | None = None
        """The form as last parsed, or None while a field is invalid."""
        self.spec: StudySpec | None = None
        """The study the form describes (None while invalid); its size is `trials`."""
        self.trials = 0
        self._confirmed_large = False
        self._measure_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "A comma list varies an option (Widths: use /). Every combination runs once per seed; "
                "the winner is picked on validation accuracy.",
                id="study-intro",
            )
            with VerticalScroll(id="study-fields"):
                yield self._row(NAME, "Name", "", "shown in the Studies tab")
                yield self._row(SEEDS, "Seeds", self._texts[SEEDS], _hint(SEEDS))
                for field in FIELDS:
                    yield self._row(field, label(field), self._texts[field], _hint(field))
            yield Static("", id="study-summary")
            yield Static("", id="study-error")
            yield Static("", id="study-command")
            with Horizontal(id="study-buttons"):
                yield Button("Start (Enter)", variant="primary", id="study-start", compact=True)
                yield Button("Close (Esc)", id="study-close", compact=True)

    def _row(self, field: str, text: str, value: str, hint: str) -> Horizontal:
        suggester = ListSuggester(field) if field in FIELDS and choices(field) else None
        box = Input(value, compact=True, id=f"study-{field}", suggester=suggester,
                    max_length=MAX_NAME if field == NAME else 0, placeholder=PLACEHOLDER.get(field, ""))
        box.tooltip = OPTIONS[field].help if field in OPTIONS else None
        return Horizontal(Label(text, classes="study-label"), box,
                          Label(hint, classes="study-hint", id=f"hint-{field}"),
                          classes="study-row", id=f"row-{field}")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "New study"
        self.query_one("#study-seeds", Input).focus()
        self._revalidate()

    def texts(self) -> dict[str, str]:
        """The fields as typed, by option field."""
        return {field: self.query_one(f"#study-{field}", Input).value for field in (SEEDS, *FIELDS)}

    def _revalidate(self) -> None:
        """Check every field as typed (cheap), then size the study a moment after typing stops."""
        texts = self.texts()
        invalid = None
        try:
            self.form = parse_form(texts)
            error = ""
        except ConfigError as problem:
            self.form = None
            invalid = problem.field
            error = f"{label(invalid)}: {problem.value!r} is not valid - expected {problem.expected}"
        for field in (SEEDS, *FIELDS):
            row = self.query_one(f"#row-{field}")
            row.set_class(field == invalid, "-invalid")
            varied = self._count(field, texts[field])
            row.set_class(varied > 1, "-varied")
            hint = f"varies: {varied} values" if varied > 1 and field != SEEDS else _hint(field)
            self.query_one(f"#hint-{field}", Label).update(Text(hint))
        self.spec = None
        self._confirmed_large = False
        self._show(error, Text("Fix the field in red to see the study's size.") if error else Text("…"))
        if self._measure_timer is not None:
            self._measure_timer.stop()
        if self.form is not None:
            self._measure_timer = self.set_timer(MEASURE_DELAY_S, self._measure)

    def _measure(self) -> None:
        """Build the spec: its real trial count (settings that cannot apply are not run twice) and time."""
        form = self.form
        if form is None:
            return
        try:
            spec = build_spec(form, data_dir=self._data_dir)
            trials = spec.trials() if form.trials <= MAX_LISTED else None
        except (SpecError, ConfigError) as problem:
            self._show(str(problem).removeprefix("--vary "), Text("These values do not combine into a study."))
            return
        self.spec = spec
        self.trials = len(trials) if trials is not None else form.trials
        seconds = study_seconds([t.config for t in trials], self._workers) if trials is not None else None
        self._show("", self._summary(form, seconds))

    def _show(self, error: str, summary: Text) -> None:
        error_line = self.query_one("#study-error", Static)
        error_line.update(Text(error))
        error_line.display = bool(error)  # no blank row while all is well (80x24 needs every row)
        self.query_one("#study-summary", Static).update(summary)
        valid = self.form is not None and not error
        command = "same as: mnist-tui study run " + shlex.join(self.form.arguments()) if valid else ""
        self.query_one("#study-command", Static).update(Text(command))
        self.query_one("#study-start", Button).disabled = not valid

    @staticmethod
    def _count(field: str, text: str) -> int:
        try:
            return len(split(field, text))
        except ConfigError:
            return 0

    def _summary(self, form: StudyForm, seconds: float | None) -> Text:
        varied = len(form.vary)
        text = Text()
        if varied == 0:
            text.append("Nothing varied yet (type several values, e.g. Optimizer sgd,momentum): ")
        else:
            text.append(f"{varied} option{'s' if varied > 1 else ''} varied: ")
        text.append(f"{form.configurations} configuration{'s' if form.configurations > 1 else ''} × "
                    f"{len(form.seeds)} seed{'s' if len(form.seeds) > 1 else ''} = ")
        text.append(f"{self.trials} trial{'s' if self.trials != 1 else ''}", style="bold")
        if self.trials < form.trials:
            text.append(f" (not {form.trials}: an option that cannot apply, e.g. the activation without "
                        "hidden layers, runs once)")
        if seconds is not None:
            text.append(f" · about {_duration(seconds)} on {self._workers} worker{'s' if self._workers > 1 else ''}")
        return text

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != f"study-{NAME}":
            self._revalidate()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._start()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "study-start":
            self._start()
        else:
            self.dismiss(None)

    def _start(self) -> None:
        if self._measure_timer is not None and self.form is not None and self.spec is None:
            self._measure_timer.stop()
            self._measure()  # Enter typed before the pause that sizes the study
        if self.spec is None:
            self.notify("Fix the options first (the message in red says which).", severity="error")
            return
        if self.trials > LARGE_STUDY and not self._confirmed_large:
            self._confirmed_large = True
            self.notify(f"{self.trials} trials: press Enter again to start them all.", severity="warning")
            return
        name = " ".join(self.query_one(f"#study-{NAME}", Input).value.split())
        self.dismiss(replace(self.spec, name=name))

    def action_close(self) -> None:
        self.dismiss(None)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
