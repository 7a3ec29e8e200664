"""One study trial as a Dask task: trains on a worker, streams its events live, stops on cancel.

This runs inside a Dask worker process, never in the client. It opens no run store (the client
writes every row) and reads no data files: the client sends the dataset it loaded and verified
(see runs.dask_executor). Events travel as `Worker.log_event` messages on the executor's topic;
each carries the submission key and this attempt's id, because Dask runs a task again on
another worker when its worker dies and the client must tell a dead attempt's events from the
new one's. The attempt's result repeats every event it streamed, so an epoch whose live event
is still in flight when the result arrives is not lost either.
"""

from __future__ import annotations

import pickle
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from runs.events import BatchProgress, Event, RunFinished

CANCEL_POLL_S = 0.5
"""How long one wait on the cluster-wide cancel Event lasts before the watcher checks it is still needed."""

PROGRESS_INTERVAL_S = 1.0
"""BatchProgress is forwarded at most this often per trial: it crosses the scheduler, EpochDone matters."""


@dataclass(frozen=True)
class AttemptResult:
    """What a finished attempt returns to the client: its id, where it ran, what it streamed, its end.

    `events` repeats every streamed event but the throttled BatchProgress, in order.
    """

    attempt: str
    worker: str
    events: list[Event]
    finished: RunFinished


def encode(submission: str, attempt: str, worker: str, event: Event) -> dict[str, Any]:
    """A log_event message (msgpack needs built-in types): the event itself travels pickled."""
    return {"s": submission, "a": attempt, "w": worker, "e": pickle.dumps(event)}


class _CancelWatch:
    """A local threading.Event set when the study's distributed Event is set.

    The trainer checks cancellation on every batch, so it must be a local flag; one thread per
    running trial long-polls the scheduler for the cluster-wide Event instead.
    """

    def __init__(self, name: str) -> None:
        from distributed import Event as ClusterEvent, get_client

        self.flag = threading.Event()
        self._done = threading.Event()
        self._cluster_event = ClusterEvent(name, client=get_client())
        if self._cluster_event.is_set():
            self.flag.set()
        self._thread = threading.Thread(target=self._watch, name="mnist-tui-cancel-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.is_set() and not self.flag.is_set():
            try:
                if self._cluster_event.wait(timeout=CANCEL_POLL_S):
                    self.flag.set()
            except Exception:  # noqa: BLE001 - the scheduler went away: the task ends with it
                time.sleep(CANCEL_POLL_S)

    def stop(self) -> None:
        self._done.set()


def run_attempt(config: dict[str, Any], dataset: Any, topic: str, cancel_name: str, submission: str) -> AttemptResult:
    """Train one trial on this worker (the Dask task); the final RunFinished is returned, not streamed."""
    from distributed import get_worker

    from runs.trial import run_trial

    worker = get_worker()
    attempt = uuid.uuid4().hex
    events: list[Event] = []
    finished: list[RunFinished] = []

    def emit(event: Event) -> None:
        if isinstance(event, RunFinished):
            finished.append(event)
            return
        if not isinstance(event, BatchProgress):
            events.append(event)
        worker.log_event(topic, encode(submission, attempt, worker.address, event))

    watch = _CancelWatch(cancel_name)
    try:
        run_trial(config, emit, cancel=watch.flag, dataset=dataset, progress_interval=PROGRESS_INTERVAL_S)
    except Exception as error:  # noqa: BLE001 - run_trial should not raise; the client must still hear
        finished.append(RunFinished(None, "failed", f"trial on Dask worker {worker.address}: {error!r}"))
    finally:
        watch.stop()
    if not finished:
        finished.append(RunFinished(None, "failed", f"trial on Dask worker {worker.address} ended without a result"))
    return AttemptResult(attempt, worker.address, events, finished[-1])
