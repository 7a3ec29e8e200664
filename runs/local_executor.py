"""Runs trials on a pool of worker processes on this machine (the default executor of a study).

See runs.study_executor for the protocol.
"""

from __future__ import annotations

import os

from runs.study_executor import TrialEvent
from runs.study_spec import Trial


class LocalPoolExecutor:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def submit(self, trial: Trial) -> None:
        raise NotImplementedError

    def events(self, timeout: float) -> list[TrialEvent]:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError
