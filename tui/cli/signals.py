"""SIGTERM and SIGHUP treated like Ctrl-C: a service manager's stop or a closed terminal ends a
command the way an interrupt does (a training run is recorded `cancelled`, never cut off mid-write).

`Terminated` is a KeyboardInterrupt, so every `except KeyboardInterrupt` clean-up also runs for
them; the exit code is 128 + the signal's number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), as a shell
reports a command killed by it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when a stop signal arrives; `signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(error: KeyboardInterrupt) -> int:
    return 128 + getattr(error, "signum", signal.SIGINT)


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(signum)


def install() -> None:
    """Make SIGTERM and SIGHUP raise Terminated, as SIGINT raises KeyboardInterrupt."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_terminated)


def ignore() -> None:
    """Ignore further stop signals while the command says goodbye (a second one must not print a traceback)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold stop signals while modules import, then act on the first one.

    A KeyboardInterrupt raised inside a C extension's import (NumPy's) comes out as an ImportError
    with a long traceback; recording the signal and raising it after the imports keeps it an
    interrupt.
    """
    received: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: received.append(signum)) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
    if received:
        raise Terminated(received[0])
