"""How trials are run: the executor protocol every executor implements, and the events it returns.

The study runner (runs.study_runner, the client) submits `Trial`s and polls `events()`; it alone
writes the run store. An executor only moves trials to workers and their events back:

- per-epoch `EpochDone` events arrive while trials run (live, not only at a trial's end);
- every submitted trial ends with exactly one `RunFinished` — completed, cancelled, diverged or
  failed as `runs.trial.run_trial` reports it, or `interrupted` when its worker died mid-trial;
- `cancel()` stops running trials after their current batch (each ends `cancelled`) and drops
  trials not yet started (they get no event: the runner knows which never started);
- events carry `run_id=None`: the client maps them to runs by `trial_key`.

Executors: `runs.local_executor.LocalPoolExecutor(workers=None)` (processes on this machine) and
`runs.dask_executor.DaskExecutor` (an existing Dask distributed cluster: `tcp://host:8786`, or
`local` / `local:N` for a LocalCluster of N worker processes). `mnist-tui study --dask VALUE` gets the
latter from `runs.dask_executor.make_executor(VALUE)`; an executor that cannot start raises
`ExecutorError` (a bad VALUE or a missing Dask extra raise its subclasses that are usage errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runs.events import Event
from runs.study_spec import Trial


class ExecutorError(Exception):
    """An executor that cannot start (a scheduler that cannot be reached, a missing extra).

    Raised by an executor's constructor, before the study records anything; str() is a user-ready
    message naming what failed (e.g. the scheduler's address) — the command line exits 1 with it.
    """


@dataclass(frozen=True)
class TrialEvent:
    """One event of one trial; `event` is a runs.events type with run_id None."""

    trial_key: str
    event: Event


class TrialExecutor(Protocol):
    workers: int
    """How many trials run at once (for the ETA)."""

    def submit(self, trial: Trial) -> None:
        """Queue one trial; it starts when a worker is free."""

    def events(self, timeout: float) -> list[TrialEvent]:
        """What arrived since the last call, waiting up to `timeout` seconds for the first (may be empty)."""

    def cancel(self) -> None:
        """Running trials stop after their batch (RunFinished cancelled); queued ones are dropped."""

    def close(self) -> None:
        """Stop the workers and free everything; safe to call twice."""
