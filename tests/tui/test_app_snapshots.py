"""Snapshots of the Train view: fresh, and mid-run from a fixed sequence of run events and a fixed clock."""

from __future__ import annotations

import itertools

from app_driver import SIZE, make_app, small_config

from runs.events import BatchProgress, EpochDone, RunStarted
from tui.messages import message_for

RECORDS = [
    {"epoch": e, "train_loss": tl, "train_acc": ta, "val_loss": vl, "val_acc": va,
     "test_loss": sl, "test_acc": sa, "lr": lr, "seconds": s}
    for e, tl, ta, vl, va, sl, sa, lr, s in [
        (1, 0.6012, 0.8301, 0.3420, 0.9012, 0.3391, 0.9034, 0.0300, 4.1),
        (2, 0.2987, 0.9143, 0.2701, 0.9230, 0.2655, 0.9247, 0.0256, 4.0),
        (3, 0.2311, 0.9342, 0.2285, 0.9351, 0.2240, 0.9366, 0.0150, 4.2),
    ]
]


def test_train_view_fresh(snap_compare, mnist_tui_home):
    assert snap_compare(make_app(small_config(limit=2000, epochs=5)), terminal_size=SIZE)


def test_train_view_during_a_run(snap_compare, mnist_tui_home):
    clock = itertools.count(0.0, 10.0)
    app = make_app(small_config(limit=20000, epochs=5), clock=lambda: next(clock))
    config = small_config(limit=20000, epochs=5)

    async def feed(pilot):
        pane = app.train_pane
        pane.run_panel.begin(5)
        events = [RunStarted(7, config.to_dict(), {"name": "mnist"}, 20000, 1000, 10000)]
        events += [EpochDone(7, r) for r in RECORDS]
        events += [BatchProgress(4, 300, 625, 5123.4)]
        for event in events:
            pane.post_message(message_for(event))
        await pilot.pause(1.2)  # epochs 2 and 3 arrive within a second: their curves are drawn a second later

    assert snap_compare(app, terminal_size=SIZE, run_before=feed)
