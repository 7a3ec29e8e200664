"""The dashboard remembers the last options used: one JSON file in the mnist-tui home folder."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from nn_core.config import ConfigError
from runs.config import RunConfig
from runs.paths import home_dir

SETTINGS_NAME = "dashboard.json"


def settings_path() -> Path:
    return home_dir() / SETTINGS_NAME


def load_options(path: Path | None = None) -> tuple[RunConfig | None, str | None]:
    """The remembered options, or (None, problem) when the file is unreadable.

    A damaged file is moved aside to ``<name>.bad`` (never silently overwritten) and the
    problem is returned so the app can say what happened.
    """
    path = path or settings_path()
    if not path.exists():
        return None, None
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
        return RunConfig.from_dict(values["options"]), None
    except (OSError, ValueError, KeyError, TypeError, ConfigError) as error:
        aside = path.with_name(path.name + ".bad")
        try:
            os.replace(path, aside)
        except OSError:
            aside = path
        return None, f"{path}: could not read the remembered options ({error}); kept as {aside}, using defaults"


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
