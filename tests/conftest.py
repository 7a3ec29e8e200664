"""Test-wide environment: real datasets from ../shared, and private cache and run-store folders.

Everything is set before any test runs so subprocesses started by tests inherit it, and no
test ever touches the user's own cache or run history.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"


def pytest_configure(config: pytest.Config) -> None:
    if "MNIST_TUI_DATA" not in os.environ and SHARED_DATASETS.is_dir():
        os.environ["MNIST_TUI_DATA"] = str(SHARED_DATASETS)
    session_tmp = Path(tempfile.mkdtemp(prefix="mnist-tui-tests-"))
    # A session-wide cache keeps decoded arrays between tests, as a user's cache would.
    os.environ.setdefault("MNIST_TUI_TEST_CACHE", str(session_tmp / "cache"))
    os.environ["XDG_CACHE_HOME"] = os.environ["MNIST_TUI_TEST_CACHE"]
    os.environ["MNIST_TUI_HOME"] = str(session_tmp / "home")


@pytest.fixture
def mnist_tui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty run-store folder for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("MNIST_TUI_HOME", str(home))
    return home
