"""The dashboard remembers the last options used: one JSON file in the mnist-tui home folder."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

from nn_core.config import ConfigError
from runs.config import RunConfig
from runs.paths import home_dir

SETTINGS_NAME = "dashboard.json"
MAX_SETTINGS_BYTES = 64 * 1024
"""The file holds one options dict of a few hundred bytes; anything far larger is not ours."""


def settings_path() -> Path:
    return home_dir() / SETTINGS_NAME


def _read_settings(path: Path) -> str:
    """The file's text; a FIFO or other non-regular file, or an oversized one, is refused (ValueError).

    O_NONBLOCK keeps opening a FIFO from waiting for a writer; fstat then says what was opened.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        os.set_blocking(fd, True)
        data = handle.read(MAX_SETTINGS_BYTES + 1)
    if len(data) > MAX_SETTINGS_BYTES:
        raise ValueError(f"larger than {MAX_SETTINGS_BYTES} bytes")
    return data.decode("utf-8")


def load_options(path: Path | None = None) -> tuple[RunConfig | None, str | None]:
    """The remembered options, or (None, problem) when the file is unreadable.

    A damaged file (bad JSON, nested too deeply, invalid options, too large, not a regular file)
    is moved aside to ``<name>.bad`` (never silently overwritten) and the problem is returned so
    the app can say what happened.
    """
    path = path or settings_path()
    if not os.path.lexists(path):
        return None, None
    try:
        values = json.loads(_read_settings(path))
        return RunConfig.from_dict(values["options"]), None
    except RecursionError:
        problem = "JSON nested too deeply"
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ConfigError) as error:
        problem = str(error) or type(error).__name__
    aside = path.with_name(path.name + ".bad")
    try:
        os.replace(path, aside)
    except OSError:
        aside = path
    return None, f"{path}: could not read the remembered options ({problem}); kept as {aside}, using defaults"


def save_options(config: RunConfig, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"options": config.to_dict()}, indent=2)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
