"""Snapshots of the Studies tab over a completed study with fixed results (no training, no clock on screen)."""

from __future__ import annotations

from app_driver import make_app, small_config, wait_until

from runs.store import RunStore
from runs.study_spec import StudySpec
from runs.study_store import create_study, finish_study, start_trial_run
from tui.widgets.studies_pane import StudiesPane

VAL = {("0", "sgd"): 0.912, ("0", "momentum"): 0.921, ("1", "sgd"): 0.951, ("1", "momentum"): 0.968}
"""Final validation accuracy of each (hidden layers, optimizer); seeds add a fixed spread."""


def fixed_study() -> None:
    """A completed 2x2 study over two seeds in the test's store, every number fixed."""
    config = small_config(limit=1000, epochs=2)
    spec = StudySpec(base=config.to_dict(), vary={"hidden-layers": [0, 1], "optimizer": ["sgd", "momentum"]},
                     seeds=[0, 1], name="depth x optimizer")
    with RunStore.open() as store:
        study_id = create_study(store, spec, spec.count())
        for trial in spec.trials():
            val = VAL[str(trial.params["hidden-layers"]), trial.params["optimizer"]] + 0.003 * (trial.seed - 0.5)
            run_id = start_trial_run(store, study_id, trial.key, trial.config, {"source": "fixed"})
            for epoch, share in ((1, 0.97), (2, 1.0)):
                store.add_epoch(run_id, {"epoch": epoch, "train_loss": 0.3 / epoch, "train_acc": val * share,
                                         "val_loss": 0.3, "val_acc": round(val * share, 4), "test_loss": 0.3,
                                         "test_acc": round(val * share - 0.002, 4), "lr": 0.05, "seconds": 1.5})
            store.finish_run(run_id, "completed", final={"val_acc": round(val, 4), "test_acc": round(val - 0.002, 4)})
        finish_study(store, study_id, "completed")


async def _open_studies(pilot) -> None:
    await pilot.press("f7")
    pane = pilot.app.query_one(StudiesPane)
    await wait_until(pilot, lambda: pane.view.detail is not None, 20)
    await pilot.press("enter", "down", "down")  # into the trials table: the third trial is drawn in white
    await pilot.pause(0.3)


def test_studies_tab_at_160x48(snap_compare, mnist_tui_home):
    fixed_study()
    assert snap_compare(make_app(small_config(limit=1000, epochs=2)), terminal_size=(160, 48), run_before=_open_studies)


def test_studies_tab_plot_at_80x24(snap_compare, mnist_tui_home):
    async def plot(pilot) -> None:
        await _open_studies(pilot)
        await pilot.press("v", "v")
        await pilot.pause(0.3)

    fixed_study()
    assert snap_compare(make_app(small_config(limit=1000, epochs=2)), terminal_size=(80, 24), run_before=plot)
