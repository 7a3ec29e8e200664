"""Where mnist-tui keeps its run history: one home folder with the database and the model files.

Resolution order: ``$MNIST_TUI_HOME`` (tests and portable installs), then
``$XDG_DATA_HOME/mnist-tui``, then ``~/.local/share/mnist-tui``.
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_NAME = "runs.sqlite3"
MODELS_FOLDER = "models"


def home_dir() -> Path:
    """The folder holding ``runs.sqlite3`` and ``models/`` (not created here)."""
    explicit = os.environ.get("MNIST_TUI_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "mnist-tui"


def database_path() -> Path:
    return home_dir() / DATABASE_NAME
