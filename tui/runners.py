"""Two ways to execute a run behind the dashboard, with the same small interface.

`ProcessRun` (the default) trains in a child process; `ThreadRun` trains in a thread of the
dashboard's own process. Both are driven from a Textual thread worker: `execute(on_event)`
blocks until the run is over and calls `on_event` with every event; `cancel()`, `pause()` and
`resume()` may be called from the UI thread at any time. Given `continue_id`, they continue that
stored run (up to the config's epochs) instead of starting a new one. bench/bench_dashboard.py measures both (README "Dashboard").
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from runs.config import RunConfig
from runs.events import Event
from runs.process import RunProcess
from runs.events import RunFinished
from runs.service import CannotContinue, continue_run, execute_run


class ThreadRun:
    """The run shares this process's interpreter (and GIL) with the UI."""

    def __init__(self, config: RunConfig, continue_id: int | None = None) -> None:
        self.config = config
        self.continue_id = continue_id
        self._cancel = threading.Event()
        self._pause = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        self._pause.clear()

    def execute(self, on_event: Callable[[Event], None]) -> None:
        if self.continue_id is None:
            execute_run(self.config, on_event=on_event, cancel=self._cancel, pause=self._pause)
            return
        try:
            continue_run(self.continue_id, epochs=self.config.train.epochs, on_event=on_event,
                         cancel=self._cancel, pause=self._pause)
        except CannotContinue as error:
            on_event(RunFinished(None, "failed", str(error)))


class ProcessRun:
    """The run trains in a child process that streams its events back."""

    def __init__(self, config: RunConfig, continue_id: int | None = None) -> None:
        self.config = config
        self._process = RunProcess(config, continue_id)

    def cancel(self) -> None:
        self._process.cancel()

    def pause(self) -> None:
        self._process.pause()

    def resume(self) -> None:
        self._process.resume()

    def execute(self, on_event: Callable[[Event], None]) -> None:
        self._process.start()
        for event in self._process.events():
            on_event(event)


RUNNERS: dict[str, type[ThreadRun] | type[ProcessRun]] = {"process": ProcessRun, "thread": ThreadRun}
