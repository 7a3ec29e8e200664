"""Runs `runs.service.execute_run` in a child process and streams its events back.

Why a child process: on 2 cores a training thread inside the dashboard competes with the UI for
the GIL, so key presses wait behind NumPy's Python-level work; a child has its own interpreter
(see README "Dashboard"). The child opens its own store connection (SQLite WAL handles two
writers), so the parent only reads events. 'spawn' is used because the parent has threads
(fork would copy locks held by them).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from dataclasses import replace
from collections.abc import Iterator
from typing import Any

from runs.config import RunConfig
from runs.events import Event, RunFinished

CONTEXT = mp.get_context("spawn")


def _child_main(config: dict[str, Any], events: Any, cancel: Any, pause: Any = None,
                continue_id: int | None = None) -> None:
    """Entry point of the child: every event goes on the queue; the last one is RunFinished.

    With `continue_id` the child continues that stored run (runs.service.continue_run) instead
    of starting a new one from `config`."""
    from runs.service import CannotContinue, continue_run, execute_run  # imported in the child only

    try:
        if continue_id is None:
            execute_run(RunConfig.from_dict(config), on_event=events.put, cancel=cancel, pause=pause)
        else:
            try:
                continue_run(continue_id, epochs=RunConfig.from_dict(config).train.epochs, on_event=events.put,
                             cancel=cancel, pause=pause)
            except CannotContinue as error:
                events.put(RunFinished(run_id=None, status="failed", message=str(error)))
    except BaseException as error:  # execute_run should not raise; the parent must still hear
        events.put(RunFinished(run_id=None, status="failed", message=f"training process: {error!r}"))
        raise


class RunProcess:
    """One run in a child process: `start()`, iterate `events()`, `cancel()`, `pause()` and
    `resume()` at any time. `continue_id` continues that stored run up to `config`'s epochs."""

    def __init__(self, config: RunConfig, continue_id: int | None = None) -> None:
        self.config = config
        self._events = CONTEXT.Queue()
        self._cancel = CONTEXT.Event()
        self._pause = CONTEXT.Event()
        self._process = CONTEXT.Process(
            target=_child_main,
            args=(config.to_dict(), self._events, self._cancel, self._pause, continue_id),
            name="mnist-tui-run",
            daemon=True,
        )

    def start(self) -> None:
        self._process.start()

    def cancel(self) -> None:
        """Ask the child to stop between batches; it records the run as cancelled."""
        self._cancel.set()

    def pause(self) -> None:
        """Hold the child between two batches until `resume()`."""
        self._pause.set()

    def resume(self) -> None:
        self._pause.clear()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def events(self, poll_seconds: float = 0.1) -> Iterator[Event]:
        """Yield events until RunFinished; if the child dies without one, yield a failed RunFinished."""
        run_id = None
        while True:
            try:
                event = self._events.get(timeout=poll_seconds)
            except queue.Empty:
                if self._process.is_alive():
                    continue
                try:  # the child may have put its last event just before exiting
                    event = self._events.get(timeout=poll_seconds)
                except queue.Empty:
                    yield RunFinished(
                        run_id=run_id,
                        status="failed",
                        message=f"the training process ended unexpectedly (exit code {self._process.exitcode})",
                    )
                    return
            if isinstance(event, RunFinished) and event.run_id is None and run_id is not None:
                event = replace(event, run_id=run_id)
            run_id = getattr(event, "run_id", run_id)
            yield event
            if isinstance(event, RunFinished):
                self._process.join(timeout=10)
                return

    def join(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        return self._process.exitcode
