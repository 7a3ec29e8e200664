"""Options panel scenarios driven by keys: valid values build the RunConfig, invalid ones block Start."""

from __future__ import annotations

import json
import os

from app_driver import SIZE, make_app, pilot_test
from textual.widgets import Button, Input, Select

from runs.config import RunConfig
from tui.settings import load_options, save_options
from tui.widgets.history_pane import HistoryPane


async def replace_text(pilot, selector: str, text: str) -> None:
    """Scroll the input into view (the options scroll when the screen is short), click it, clear it
    with keys and type `text`."""
    pilot.app.query_one(selector).scroll_visible(animate=False)
    await pilot.pause()
    await pilot.click(selector)
    field = pilot.app.query_one(selector, Input)
    await pilot.press("end", *["backspace"] * len(field.value), *list(text))
    await pilot.pause()


@pilot_test
async def test_invalid_epochs_blocks_start_until_fixed(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        start = app.query_one("#start", Button)
        assert not start.disabled
        await replace_text(pilot, "#opt-epochs", "0")
        error = str(app.query_one("#options-error").render())
        assert "Epochs" in error and "expected" in error and ">= 1" in error
        assert start.disabled
        await pilot.press("f5")  # refused: no run starts
        await pilot.pause()
        assert not app.train_pane.running and app.store.list_runs() == []
        await replace_text(pilot, "#opt-epochs", "3")
        assert not start.disabled
        assert app.train_pane.options.config.train.epochs == 3


@pilot_test
async def test_text_in_a_number_field_names_the_field(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await replace_text(pilot, "#opt-learning_rate", "fast")
        error = str(app.query_one("#options-error").render())
        assert error.startswith("Learning rate: 'fast'") and "a number" in error
        assert app.query_one("#opt-learning_rate", Input).has_class("-invalid")
        assert app.query_one("#start", Button).disabled


@pilot_test
async def test_custom_widths_and_other_choices_by_keys(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        widths = app.query_one("#opt-hidden_sizes", Input)
        assert widths.disabled  # preset layers: widths are shown, not edited
        await pilot.click("#opt-layers")  # opens the list on the current entry, "1 - 64"
        await pilot.press("down", "down", "enter")  # "2 - 64,64", then "custom"
        assert app.query_one("#opt-layers", Select).value == "custom"
        assert not widths.disabled
        await replace_text(pilot, "#opt-hidden_sizes", "128,64")
        await pilot.click("#opt-l1")  # the switch toggles on click; space toggles it too
        await pilot.press("space", "space")
        await replace_text(pilot, "#opt-seed", "7")
        config = app.train_pane.options.config
        assert config is not None
        assert config.model.hidden_sizes == (128, 64)
        assert config.train.l1 is True and config.train.seed == 7
        assert str(app.query_one("#l1-state").render()) == "on"
        assert not app.query_one("#opt-l1_lambda", Input).disabled  # its lambda applies now
        await replace_text(pilot, "#opt-hidden_sizes", "128,x")
        assert app.train_pane.options.config is None
        assert "Widths" in str(app.query_one("#options-error").render())



@pilot_test
async def test_reset_restores_defaults(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await replace_text(pilot, "#opt-batch_size", "0")
        assert app.train_pane.options.config is None
        await pilot.press("f8")
        await pilot.pause()
        assert app.train_pane.options.config == RunConfig()


@pilot_test
async def test_history_load_options_fills_the_panel_and_shows_train(mnist_tui_home):
    wanted = RunConfig.from_dict({"model": {"hidden_sizes": [32, 16], "activation": "tanh"},
                                  "train": {"optimizer": "sgd", "epochs": 4, "l1": True}})
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        assert app.query_one("#tabs").active == "history"
        app.query_one(HistoryPane).post_message(HistoryPane.LoadOptions(wanted.to_dict()))
        await pilot.pause()
        await pilot.pause()
        assert app.query_one("#tabs").active == "train"
        assert app.train_pane.options.config == wanted
        assert app.query_one("#opt-layers", Select).value == "custom"


def test_options_are_remembered_and_a_damaged_file_is_kept_aside(mnist_tui_home):
    config = RunConfig.from_dict({"data": {"limit": 1234}, "train": {"learning_rate": 0.5}})
    save_options(config)
    assert load_options() == (config, None)
    path = mnist_tui_home / "dashboard.json"
    path.write_text("{not json", encoding="utf-8")
    loaded, problem = load_options()
    assert loaded is None and str(path) in problem
    assert (mnist_tui_home / "dashboard.json.bad").read_text(encoding="utf-8") == "{not json"
    path.write_text(json.dumps({"options": {"train": {"epochs": -1}}}), encoding="utf-8")
    loaded, problem = load_options()
    assert loaded is None and "epochs" in problem


@pilot_test
async def test_values_the_cli_refuses_are_refused_inline_too(mnist_tui_home):
    """Issue 9, items 12 and 13: the panel and `train` share the config layer's validation."""
    app = make_app(RunConfig.from_dict({"train": {"schedule": "decay"}}))
    async with app.run_test(size=SIZE) as pilot:
        for selector, text, label, expected in [
            ("#opt-decay_rate", "1.5", "Decay rate", "<= 1.0"),
            ("#opt-seed", str(2**63), "Seed", "<= 9223372036854775807"),
        ]:
            await replace_text(pilot, selector, text)
            error = str(app.query_one("#options-error").render())
            assert error.startswith(f"{label}: ") and text in error and expected in error
            assert app.query_one("#start", Button).disabled
            await replace_text(pilot, selector, "0.9" if "decay" in selector else "1")
            assert not app.query_one("#start", Button).disabled
        await pilot.click("#opt-layers")
        await pilot.press("down", "down", "enter")  # custom widths
        await replace_text(pilot, "#opt-hidden_sizes", "1000000,1000000")
        error = str(app.query_one("#options-error").render())
        assert error.startswith("Widths: needs about ") and "over the limit of" in error and "% of RAM" in error
        await pilot.press("f5")  # refused: no run starts
        await pilot.pause()
        assert app.query_one("#start", Button).disabled and app.store.list_runs() == []


@pilot_test
async def test_a_hostile_dashboard_json_is_set_aside_and_the_dashboard_starts(mnist_tui_home):
    """Issue 9, item 6: deep nesting, a FIFO or a huge file never stop the dashboard from starting."""
    mnist_tui_home.mkdir(parents=True, exist_ok=True)
    path = mnist_tui_home / "dashboard.json"
    for make, problem in [
        (lambda: path.write_text("[" * 30_000 + "]" * 30_000, encoding="utf-8"), "nested too deeply"),
        (lambda: path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8"), "larger than"),
        (lambda: path.write_text('{"options": [1, 2]}', encoding="utf-8"), "could not read"),
        (lambda: os.mkfifo(path), "not a regular file"),
    ]:
        make()
        loaded, message = load_options()
        assert loaded is None and problem in message and str(path) in message
        assert not path.exists() and os.path.lexists(mnist_tui_home / "dashboard.json.bad")
        os.unlink(mnist_tui_home / "dashboard.json.bad")
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    initial, _ = load_options()
    app = make_app(initial)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.train_pane.options.config == RunConfig()


@pilot_test
async def test_training_options_adam_dropout_augment_and_early_stop_by_keys(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        lr = app.query_one("#opt-learning_rate", Input)
        assert lr.value == "0.05" and app.query_one("#opt-weight_decay", Input).disabled
        await pilot.click("#opt-optimizer")  # opens on "momentum": sgd, momentum, nesterov, adam, adamw
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.query_one("#opt-optimizer", Select).value == "adam"
        assert lr.value == "0.003"  # the old optimizer's default became the new one's
        assert app.query_one("#opt-momentum", Input).disabled
        await replace_text(pilot, "#opt-learning_rate", "0.002")
        await pilot.click("#opt-optimizer")
        await pilot.press("down", "enter")  # adamw: a rate the user typed is kept
        await pilot.pause()
        assert lr.value == "0.002" and not app.query_one("#opt-weight_decay", Input).disabled
        await replace_text(pilot, "#opt-dropout", "0.2")
        await replace_text(pilot, "#opt-augment_shift", "2")
        await replace_text(pilot, "#opt-augment_rotate", "10")
        await replace_text(pilot, "#opt-early_stop", "3")
        train = app.train_pane.options.config.train
        assert (train.optimizer, train.learning_rate, train.dropout) == ("adamw", 0.002, (0.2,))
        assert (train.augment_shift, train.augment_rotate, train.early_stop) == (2, 10.0, 3)
        await replace_text(pilot, "#opt-val_size", "0")
        error = str(app.query_one("#options-error").render())
        assert error.startswith("Early stop: 3") and "no validation set" in error
        assert app.query_one("#start", Button).disabled
        await replace_text(pilot, "#opt-val_size", "5000")
        await replace_text(pilot, "#opt-dropout", "0.2,0.2")  # two rates for one hidden layer
        assert str(app.query_one("#options-error").render()).startswith("Dropout: ")
        await replace_text(pilot, "#opt-dropout", "1")
        assert "[0, 1)" in str(app.query_one("#options-error").render())


@pilot_test
async def test_reusing_a_runs_options_names_the_run_and_clears_the_last_runs_table(mnist_tui_home):
    from app_driver import run_to_end, small_config
    from textual.widgets import DataTable

    app = make_app(small_config(limit=1000, epochs=2))
    async with app.run_test(size=SIZE) as pilot:
        finished = await run_to_end(pilot)
        assert finished.status == "completed" and app.query_one("#metrics", DataTable).row_count == 2
        older = RunConfig.from_dict({"model": {"hidden_sizes": [32]}, "train": {"epochs": 3}})
        app.query_one(HistoryPane).post_message(HistoryPane.LoadOptions(older.to_dict(), 41))
        await pilot.pause()
        await pilot.pause()
        assert app.train_pane.options.config == older
        assert app.query_one("#metrics", DataTable).row_count == 0  # the finished run's rows are gone
        assert "Options of run #41 loaded" in str(app.query_one("#run-state").render())
        assert str(app.query_one("#run-stats").render()) == ""
