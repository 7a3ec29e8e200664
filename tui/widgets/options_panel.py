"""The options panel: one control per engine option, validated into a RunConfig as you type."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Size
from textual.reactive import Reactive, reactive
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from nn_core.config import (
    ACTIVATIONS, DEFAULT_LEARNING_RATES, INITS, OPTIMIZERS, PRESET_HIDDEN, SCHEDULES, ConfigError, ModelConfig, TrainConfig,
)
from runs.config import DataConfig, MemoryLimitError, RunConfig, check_memory
from tui.safe_text import safe_text

CUSTOM = "custom"


def parse_int(field: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(field, text, "a whole number") from None


def parse_float(field: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ConfigError(field, text, "a number such as 0.01 or 1e-4") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(field, text, "a finite number")
    return value


def parse_limit(field: str, text: str) -> int | None:
    return None if not text.strip() else parse_int(field, text)


def parse_rates(field: str, text: str) -> tuple[float, ...]:
    """'0.2' or '0.3,0.2' -> rates; empty means none (checked against [0, 1) by TrainConfig)."""
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    return tuple(parse_float(field, p) for p in parts)


def parse_widths(field: str, text: str) -> tuple[int, ...]:
    """'128,64' -> (128, 64); empty means no hidden layer."""
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    try:
        widths = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(field, text, "widths separated by commas, e.g. 128,64") from None
    if any(w < 1 for w in widths):
        raise ConfigError(field, text, "widths of at least 1, e.g. 128,64")
    return widths


class FieldValidator(Validator):
    """Marks the Input invalid with the same parser that builds the config."""

    def __init__(self, field: str, parse: Callable[[str, str], Any]) -> None:
        super().__init__()
        self.field = field
        self.parse = parse

    def validate(self, value: str) -> ValidationResult:
        try:
            self.parse(self.field, value)
        except ConfigError as error:
            return self.failure(f"expected {error.expected}")
        return self.success()


class OptionInput(Input):
    """An Input whose typing repaints only itself.

    Input sets its virtual (scrollable) width to its text's width on every key, and Widget's
    `virtual_size` asks for a layout pass of the whole screen when it changes. A field of the
    panel has a fixed size and scrolls its text itself, so the layout changed nothing but cost
    about 4 ms of a key's 10 (idle, bench/bench_dashboard.py's pty).
    """

    virtual_size = Reactive(Size(0, 0), layout=False)


@dataclass(frozen=True)
class Option:
    """One row of the panel: `field` is the config field it sets (ConfigError names it)."""

    field: str
    label: str
    help: str


OPTIONS = {
    o.field: o
    for o in (
        Option("dataset", "Dataset", "Which images to learn: handwritten digits or Zalando's clothing pictures."),
        Option("limit", "Train subset", "Use only the first N training images (empty = all 55,000): faster, less accurate."),
        Option("val_size", "Validation", "Training images held out to watch over-fitting each epoch (0 = none)."),
        Option("normalization", "Normalization", "simple: pixels/255 in [0,1]; normal: zero mean, unit variance per run."),
        Option("layers", "Hidden layers", "0 = a linear softmax classifier; 1 or 2 layers of 64; custom = your widths."),
        Option("hidden_sizes", "Widths", "Units per hidden layer, comma separated, e.g. 128,64 (only for custom)."),
        Option("activation", "Activation", "Non-linearity of hidden units: relu trains fastest; sigmoid/tanh saturate."),
        Option("init", "Init", "Initial weights: xavier scales by layer size; gaussian uses a fixed small spread."),
        Option("optimizer", "Optimizer", "sgd; momentum/nesterov add a running direction; adam/adamw adapt per-weight steps."),
        Option("momentum", "Momentum", "Share of the previous step kept by momentum and nesterov, in [0, 1)."),
        Option("weight_decay", "Weight decay", "adamw only: each step shrinks weights by lr x this (0.01 = PyTorch's)."),
        Option("learning_rate", "Learning rate", "Step size; too high diverges. Default 0.05, or 0.003 with adam/adamw."),
        Option("schedule", "LR schedule", "constant; decay multiplies the rate each epoch; cosine anneals it to zero."),
        Option("decay_rate", "Decay rate", "Per-epoch factor of the decay schedule, e.g. 0.98."),
        Option("epochs", "Epochs", "Passes over the training set."),
        Option("batch_size", "Batch size", "Images per gradient step: small = noisy but many steps; large = smooth."),
        Option("l1", "L1", "L1 penalty on weights: pushes many weights to exactly zero (sparser network)."),
        Option("l1_lambda", "L1 lambda", "Strength of the L1 penalty (used when L1 is on), e.g. 1e-5."),
        Option("l2_lambda", "L2 lambda", "Strength of the L2 penalty (weight decay): 0 = off, e.g. 1e-4."),
        Option("dropout", "Dropout", "Hidden units dropped per training step: 0.2, or 0.3,0.2 per layer (empty = none)."),
        Option("augment_shift", "Aug. shift", "Training images moved by up to N pixels each way, anew each epoch (0 = off)."),
        Option("augment_rotate", "Aug. rotate", "Training images turned by up to N degrees each way (0 = off)."),
        Option("early_stop", "Early stop", "Stop after N epochs without a lower validation loss (0 = off)."),
        Option("seed", "Seed", "Random seed for initial weights, shuffling and the validation split."),
    )
}

LAYER_CHOICES = [("0 - none", "0"), ("1 - 64", "1"), ("2 - 64,64", "2"), ("custom", CUSTOM)]
INPUT_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "limit": parse_limit,
    "val_size": parse_int,
    "hidden_sizes": parse_widths,
    "momentum": parse_float,
    "weight_decay": parse_float,
    "learning_rate": parse_float,
    "decay_rate": parse_float,
    "epochs": parse_int,
    "batch_size": parse_int,
    "l1_lambda": parse_float,
    "l2_lambda": parse_float,
    "dropout": parse_rates,
    "augment_shift": parse_int,
    "augment_rotate": parse_float,
    "early_stop": parse_int,
    "seed": parse_int,
}
SELECT_CHOICES: dict[str, list[tuple[str, str]]] = {
    "dataset": [("MNIST digits", "mnist"), ("Fashion-MNIST", "fashion-mnist")],
    "normalization": [("simple (x/255)", "simple"), ("normal (z-score)", "normal")],
    "layers": LAYER_CHOICES,
    "activation": [(a, a) for a in ACTIVATIONS],
    "init": [(i, i) for i in INITS],
    "optimizer": [(o, o) for o in OPTIMIZERS],
    "schedule": [(s, s) for s in SCHEDULES],
}


def _number_text(value: float) -> str:
    return f"{value:g}"


class OptionsPanel(Widget):
    """Every engine option; `config` holds the valid RunConfig or None while a value is invalid."""

    DEFAULT_CSS = """
    OptionsPanel {
        width: 42;
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text;
        padding: 0 1;
    }
    OptionsPanel VerticalScroll { height: 1fr; scrollbar-size-vertical: 1; }
    OptionsPanel .option-row { height: 1; margin-bottom: 0; }
    OptionsPanel .option-label { width: 14; height: 1; color: $text-muted; }
    OptionsPanel .option-row.-invalid .option-label { color: $error; text-style: bold; }
    OptionsPanel .option-row Input, OptionsPanel .option-row Select { width: 1fr; }
    OptionsPanel .option-row Switch { border: none; height: 1; padding: 0; width: 6; }
    OptionsPanel #l1-state { padding-left: 1; color: $text-muted; }
    OptionsPanel #options-help { height: 4; color: $text-muted; border-top: solid $primary 30%; }
    OptionsPanel #options-error { height: 4; color: $error; text-style: bold; }
    """

    config: reactive[RunConfig | None] = reactive(None, init=False, always_update=True, repaint=False)
    """The options as a valid RunConfig, or None while any value is invalid (the panel draws
    nothing from it: a repaint would redraw every row on each key)."""

    def __init__(self, initial: RunConfig | None = None, data_dir: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = initial or RunConfig()
        self._data_dir = data_dir
        self.error: str | None = None
        self.border_title = "Options"
        self._controls: dict[str, Widget] = {}
        self._quiet = False
        """True while the panel sets its own controls (one revalidation afterwards)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="options-scroll"):
            for field, option in OPTIONS.items():
                with Horizontal(classes="option-row", id=f"row-{field}"):
                    yield Label(option.label, classes="option-label")
                    yield self._control(field, option)
                    if field == "l1":
                        yield Label("off", id="l1-state")  # the compact switch alone does not read as on/off
        yield Static("", id="options-error")
        yield Static("Tab moves between options; the focused one is explained here.", id="options-help")

    def _control(self, field: str, option: Option) -> Widget:
        widget: Widget
        if field in SELECT_CHOICES:
            widget = Select(SELECT_CHOICES[field], allow_blank=False, compact=True, id=f"opt-{field}")
        elif field == "l1":
            widget = Switch(id="opt-l1")
        else:
            widget = OptionInput(
                compact=True,
                id=f"opt-{field}",
                validators=[FieldValidator(field, INPUT_PARSERS[field])],
                placeholder={"limit": "all", "dropout": "none"}.get(field, ""),
            )
        widget.tooltip = option.help
        return widget

    def on_mount(self) -> None:
        self._controls = {field: self.query_one(f"#opt-{field}") for field in OPTIONS}
        self.load_config(self._initial)
        # Watchers, not the controls' Changed messages: they run while the key or the focus move
        # is handled, so the error and help lines are drawn in the same frame as the key's echo
        # (a message reaches the panel after that frame, and the next frame comes 17-33 ms later).
        self.watch(self._controls["optimizer"], "value", self._optimizer_changed, init=False)
        for control in self._controls.values():
            self.watch(control, "value", self._value_changed, init=False)
        self.watch(self.screen, "focused", self._focus_moved)

    def load_config(self, config: RunConfig) -> None:
        """Put `config`'s values into the controls (e.g. a past run's options)."""
        data, model, train = config.data, config.model, config.train
        layers = next((str(n) for n, sizes in PRESET_HIDDEN.items() if sizes == model.hidden_sizes), CUSTOM)
        with self._setting():
            self._set("dataset", data.dataset)
            self._set("limit", "" if data.limit is None else str(data.limit))
            self._set("val_size", str(data.val_size))
            self._set("normalization", data.normalization)
            self._set("layers", layers)
            self._set("hidden_sizes", ",".join(map(str, model.hidden_sizes)))
            self._set("activation", model.activation)
            self._set("init", model.init)
            self._set("optimizer", train.optimizer)
            self._set("momentum", _number_text(train.momentum))
            self._set("weight_decay", _number_text(train.weight_decay))
            self._set("learning_rate", _number_text(train.learning_rate))
            self._set("schedule", train.schedule)
            self._set("decay_rate", _number_text(train.decay_rate))
            self._set("epochs", str(train.epochs))
            self._set("batch_size", str(train.batch_size))
            self._set("l1", train.l1)
            self._set("l1_lambda", _number_text(train.l1_lambda))
            self._set("l2_lambda", _number_text(train.l2_lambda))
            self._set("dropout", ",".join(map(_number_text, train.dropout)))
            self._set("augment_shift", str(train.augment_shift))
            self._set("augment_rotate", _number_text(train.augment_rotate))
            self._set("early_stop", str(train.early_stop))
            self._set("seed", str(train.seed))
        self.revalidate()

    @contextmanager
    def _setting(self) -> Iterator[None]:
        quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = quiet

    def _set(self, field: str, value: Any) -> None:
        self._controls[field].value = value

    def _value(self, field: str) -> Any:
        return self._controls[field].value

    def build_config(self) -> RunConfig:
        """Parse every control; raises ConfigError naming the first bad field."""
        values: dict[str, Any] = {}
        for field, parse in INPUT_PARSERS.items():
            values[field] = parse(field, self._value(field))
        layers = self._value("layers")
        hidden = values["hidden_sizes"] if layers == CUSTOM else PRESET_HIDDEN[int(layers)]
        data = DataConfig(
            dataset=self._value("dataset"),
            normalization=self._value("normalization"),
            val_size=values["val_size"],
            limit=values["limit"],
            data_dir=self._data_dir,
        )
        model = ModelConfig(hidden_sizes=hidden, activation=self._value("activation"), init=self._value("init"))
        train = TrainConfig(
            optimizer=self._value("optimizer"),
            momentum=values["momentum"],
            learning_rate=values["learning_rate"],
            batch_size=values["batch_size"],
            epochs=values["epochs"],
            schedule=self._value("schedule"),
            decay_rate=values["decay_rate"],
            l1=self._value("l1"),
            l1_lambda=values["l1_lambda"],
            l2_lambda=values["l2_lambda"],
            seed=values["seed"],
            weight_decay=values["weight_decay"],
            dropout=values["dropout"],
            augment_shift=values["augment_shift"],
            augment_rotate=values["augment_rotate"],
            early_stop=values["early_stop"],
        )
        if data.limit is not None and data.limit > 60000 - data.val_size:
            raise ConfigError("limit", data.limit, f"at most {60000 - data.val_size} (60,000 minus the validation images)")
        config = RunConfig(data=data, model=model, train=train)
        check_memory(config)
        return config

    def revalidate(self) -> None:
        """Rebuild the config, show the first problem inline and tell the parent."""
        self._sync_enabled()
        invalid = None
        try:
            config = self.build_config()
        except ConfigError as error:
            invalid = error.field if error.field in OPTIONS else "hidden_sizes"
            if isinstance(error, MemoryLimitError):  # the value is fine, the machine is too small
                self.error = f"{OPTIONS[invalid].label}: {error.summary}"
            else:
                typed = repr(error.value)
                typed = typed if len(typed) <= 24 else typed[:21] + "…" + typed[-1]  # the message fits its 4 rows
                self.error = f"{OPTIONS[invalid].label}: {typed} is not valid - expected {error.expected}"
            config = None
        else:
            self.error = None
        for field, control in self._controls.items():  # set_class restyles a row only when its state changes
            control.parent.set_class(field == invalid, "-invalid")
        # Fixed height: showing or clearing the error needs no layout pass, so typing stays fast.
        line = self.query_one("#options-error", Static)
        line.update(safe_text(self.error or ""), layout=False)  # quotes typed text
        line.tooltip = safe_text(self.error) if self.error else None  # (the mouse's way to the whole of it)
        self.config = config

    def _sync_enabled(self) -> None:
        """Widths only for custom layers; momentum, decay rate and L1 lambda only where they apply."""
        layers = self._value("layers")
        widths = self._controls["hidden_sizes"]
        widths.disabled = layers != CUSTOM
        if layers != CUSTOM:
            with self._setting():
                widths.value = ",".join(map(str, PRESET_HIDDEN[int(layers)]))
        self._controls["momentum"].disabled = self._value("optimizer") not in ("momentum", "nesterov")
        self._controls["weight_decay"].disabled = self._value("optimizer") != "adamw"
        self._controls["decay_rate"].disabled = self._value("schedule") != "decay"
        self._controls["l1_lambda"].disabled = not self._value("l1")
        l1_state = self.query_one("#l1-state", Label)
        if str(l1_state.content) != (state := "on" if self._value("l1") else "off"):
            l1_state.update(state)  # only on a change: an update asks for a layout pass

    def _optimizer_changed(self, old: str, new: str) -> None:
        """A learning rate still at the old optimizer's default becomes the new one's (0.05 would wreck Adam)."""
        if self._quiet:
            return
        try:
            lr = parse_float("learning_rate", self._value("learning_rate"))
        except ConfigError:
            return
        if lr == DEFAULT_LEARNING_RATES.get(old) and lr != DEFAULT_LEARNING_RATES[new]:
            with self._setting():
                self._set("learning_rate", _number_text(DEFAULT_LEARNING_RATES[new]))

    def _value_changed(self) -> None:
        if not self._quiet:
            self.revalidate()

    def _focus_moved(self, focused: Widget | None) -> None:
        field = (focused.id or "").removeprefix("opt-") if focused is not None else ""
        if field in OPTIONS:
            self.query_one("#options-help", Static).update(f"{OPTIONS[field].label}: {OPTIONS[field].help}", layout=False)
