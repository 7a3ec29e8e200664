"""Where mnist-tui keeps its run history: one home folder with the database and the model files.

Resolution order: ``$MNIST_TUI_HOME`` (tests and portable installs), then the platform's user
data folder from platformdirs: ``$XDG_DATA_HOME/mnist-tui`` or ``~/.local/share/mnist-tui`` on
Linux, ``~/Library/Application Support/mnist-tui`` on macOS, ``%LOCALAPPDATA%\\mnist-tui`` on Windows.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

DATABASE_NAME = "runs.sqlite3"
MODELS_FOLDER = "models"


def home_dir() -> Path:
    """The folder holding ``runs.sqlite3`` and ``models/`` (not created here)."""
    explicit = os.environ.get("MNIST_TUI_HOME")
    if explicit:
        return Path(explicit).expanduser()
    return user_data_path("mnist-tui", appauthor=False)


def database_path() -> Path:
    return home_dir() / DATABASE_NAME
