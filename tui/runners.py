"""Two ways to execute a run behind the dashboard, with the same small interface.

`ProcessRun` (the default) trains in a child process; `ThreadRun` trains in a thread of the
dashboard's own process. Both are driven from a Textual thread worker: `execute(on_event)`
blocks until the run is over and calls `on_event` with every event; `cancel()` may be called
from the UI thread at any time. bench/bench_dashboard.py measures both (README "Dashboard").
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from runs.config import RunConfig
from runs.events import Event
from runs.process import RunProcess
from runs.service import execute_run


class ThreadRun:
    """The run shares this process's interpreter (and GIL) with the UI."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def execute(self, on_event: Callable[[Event], None]) -> None:
        execute_run(self.config, on_event=on_event, cancel=self._cancel)


class ProcessRun:
    """The run trains in a child process that streams its events back."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self._process = RunProcess(config)

    def cancel(self) -> None:
        self._process.cancel()

    def execute(self, on_event: Callable[[Event], None]) -> None:
        self._process.start()
        for event in self._process.events():
            on_event(event)


RUNNERS: dict[str, type[ThreadRun] | type[ProcessRun]] = {"process": ProcessRun, "thread": ThreadRun}
