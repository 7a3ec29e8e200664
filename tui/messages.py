"""Messages a run or a study posts to the dashboard: one per run event, each wrapping the event itself.

Progress messages that arrive faster than the screen draws replace each other
(`can_replace`); epoch and end-of-run messages never do, so no row of the table is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from runs.events import BatchProgress, DataProgress, EpochDone, Event, RunFinished, RunStarted
from runs.study_runner import StudyEvent


@dataclass
class DataProgressed(Message):
    """Data is being loaded or downloaded."""

    event: DataProgress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DataProgressed)


@dataclass
class RunBegan(Message):
    """The run exists in the store and training starts."""

    event: RunStarted


@dataclass
class BatchProgressed(Message):
    """Progress within an epoch; only the newest pending one matters."""

    event: BatchProgress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BatchProgressed)


@dataclass
class EpochCompleted(Message):
    """An epoch ended and is committed to the store."""

    event: EpochDone


@dataclass
class RunEnded(Message):
    """The run is over: completed, cancelled, diverged or failed."""

    event: RunFinished


_MESSAGES = {
    DataProgress: DataProgressed,
    RunStarted: RunBegan,
    BatchProgress: BatchProgressed,
    EpochDone: EpochCompleted,
    RunFinished: RunEnded,
}


def message_for(event: Event) -> Message:
    """The dashboard message carrying `event`."""
    return _MESSAGES[type(event)](event)


@dataclass
class StudyBegan(Message):
    """A study started from the dashboard exists in the store and its trials are being submitted."""

    study_id: int


@dataclass
class StudyProgressed(Message):
    """A trial event of the study the dashboard runs (already recorded in the store by the runner).

    The view re-reads the store, so only the newest pending progress matters.
    """

    event: StudyEvent

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StudyProgressed)


@dataclass
class StudyEnded(Message):
    """The study the dashboard ran is over: completed, cancelled, interrupted or failed."""

    study_id: int | None
    status: str
    message: str = ""
