"""The child-process runner behind the dashboard: events arrive in order, cancel works, the child exits."""

from __future__ import annotations

from app_driver import small_config

from runs.events import BatchProgress, EpochDone, RunFinished, RunStarted
from runs.process import RunProcess
from runs.store import RunStore


def test_events_stream_in_order_and_the_run_is_stored(mnist_tui_home):
    process = RunProcess(small_config(limit=1000, epochs=2))
    process.start()
    events = list(process.events())
    kinds = [type(e) for e in events]
    assert kinds.index(RunStarted) < kinds.index(EpochDone) and kinds[-1] is RunFinished
    assert BatchProgress in kinds
    assert [e.record["epoch"] for e in events if isinstance(e, EpochDone)] == [1, 2]
    finished = events[-1]
    assert finished.status == "completed" and finished.run_id == events[kinds.index(RunStarted)].run_id
    assert process.join(10) == 0
    with RunStore.open() as store:
        assert store.get_run(finished.run_id).status == "completed"


def test_cancel_before_the_child_trains_ends_cancelled(mnist_tui_home):
    process = RunProcess(small_config(limit=1000, epochs=2))
    process.cancel()
    process.start()
    (finished,) = [e for e in process.events() if isinstance(e, RunFinished)]
    assert finished.status == "cancelled"
    assert process.join(10) == 0
