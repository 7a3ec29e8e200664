"""Events a run emits while it executes: the contract between the service and its viewers.

Plain frozen dataclasses of built-in types so they cross a process boundary (pickle) and
serialise to JSON (`asdict`). The command line prints them; the dashboard turns them into
Textual messages. `BatchProgress` and `DataProgress` may be dropped or coalesced by a slow
viewer; `EpochDone`, `RunStarted` and `RunFinished` never are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DataProgress:
    """Loading or downloading data: `stage` is e.g. 'download train-images-idx3-ubyte.gz'."""

    stage: str
    done: int
    total: int | None


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    config: dict[str, Any]
    dataset: dict[str, Any]
    train_size: int
    val_size: int
    test_size: int


@dataclass(frozen=True)
class BatchProgress:
    epoch: int
    batch: int
    batches: int
    samples_per_second: float | None
    """Training speed so far this epoch; None on an epoch's first batch, before any interval is measured."""


@dataclass(frozen=True)
class EpochDone:
    """One row of the metrics table: the nn_core EpochRecord as a dict."""

    run_id: int
    record: dict[str, Any]
    first_layer: Any = field(default=None, repr=False, compare=False)
    """The first layer's weights (input_size, units) after this epoch, for live weight pictures; not stored."""


@dataclass(frozen=True)
class RunFinished:
    """status is completed, cancelled, diverged or failed; `message` explains anything but completed.

    `model_npz` is the model file's bytes when a study's worker trained it (runs.trial): the client,
    not the worker, writes it to the store's models folder. None for runs that wrote their own file.
    """

    run_id: int | None
    status: str
    message: str = ""
    final: dict[str, Any] = field(default_factory=dict)
    confusion: list[list[int]] | None = None
    model_npz: bytes | None = field(default=None, repr=False)


Event = DataProgress | RunStarted | BatchProgress | EpochDone | RunFinished
