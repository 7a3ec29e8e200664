"""Snapshot of the Inside tab over a store with fixed contents: weight tiles, curves, histograms, a drawn digit."""

from __future__ import annotations

import numpy as np

from nn_core.config import ModelConfig
from nn_core.layer_stats import HIST_BINS
from nn_core.model import MLP
from nn_core.model_io import save_model
from runs.config import RunConfig
from runs.store import RunStore
from tui.app import MnistTuiApp

SIZE = (160, 48)


def _layers(epoch: int) -> list[dict]:
    now = [int(v) for v in 400 * np.exp(-np.linspace(-3, 3, HIST_BINS) ** 2 / (1 + epoch))]
    init = [int(v) for v in 800 * np.exp(-np.linspace(-3, 3, HIST_BINS) ** 2)]
    hist = {"lo": -0.5, "hi": 0.5, "now": now, "init": init}
    return [{"layer": 1, "weight_norm": 10.0 + epoch, "grad_norm": 0.8 / epoch, "update_ratio": 1e-3 / epoch,
             "act_mean": 0.4, "act_sd": 0.9, "dead": 0.6 + 0.1 * epoch, "saturated": None, "hist": hist},
            {"layer": 2, "weight_norm": 5.0 + epoch, "grad_norm": 0.3 / epoch, "update_ratio": 2e-3 / epoch,
             "act_mean": 0.1, "act_sd": 4.0, "dead": None, "saturated": None, "hist": hist}]


def _fixed_store(home) -> RunStore:
    """One run whose 64 first-layer units hold a bright blob each, at a place that moves unit by unit."""
    store = RunStore.open(home)
    config = RunConfig()
    run_id = store.create_run(config, {"name": "mnist", "source": {"kind": "env", "path": "/data"}, "checksums": {}})
    for epoch in (1, 2, 3):
        store.add_epoch(run_id, {"epoch": epoch, "train_loss": 0.5, "train_acc": 0.9, "val_loss": 0.4, "val_acc": 0.9,
                                 "test_loss": 0.4, "test_acc": 0.9, "lr": 0.05, "seconds": 1.0, "layers": _layers(epoch)})
    model = MLP(ModelConfig(), 0)
    rows, cols = np.mgrid[0:28, 0:28]
    for unit in range(64):
        r, c = 6 + (unit // 8) * 2, 6 + (unit % 8) * 2
        blob = np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / 8.0) - np.exp(-((rows - 27 + r) ** 2 + (cols - 27 + c) ** 2) / 8.0)
        model.layers[0][:-1, unit] = 0.3 * blob.ravel()
    path = store.model_path(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(path, model, normalization={"kind": "simple", "mean": 0.0, "std": 255.0})
    store.finish_run(run_id, "completed", model_path=path)
    return store


def test_inside_tab_snapshot(snap_compare, tmp_path):
    app = MnistTuiApp(_fixed_store(tmp_path / "home"), runner="thread")

    async def draw(pilot):
        await pilot.press("f10", "right", "right", "down", "tab")
        await pilot.press(*["up"] * 6, "space", *[k for _ in range(10) for k in ("down", "space")])
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=draw)


def test_inside_tab_snapshot_at_80x24(snap_compare, tmp_path):
    """At 80x24 the pane scrolls: the tiles five to a row beside the picked unit, the rest below."""
    app = MnistTuiApp(_fixed_store(tmp_path / "home"), runner="thread")

    async def pick(pilot):
        await pilot.press("f10", "down", "right")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(80, 24), run_before=pick)
