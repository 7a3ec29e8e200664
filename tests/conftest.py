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
    missing = missing_datasets()
    if missing:  # once, before any test: not a download error from a temporary cache in each test
        pytest.exit(
            "the tests need the real MNIST and Fashion-MNIST files (the four .gz files of each) in "
            f"$MNIST_TUI_DATA/mnist and $MNIST_TUI_DATA/fashion-mnist; MNIST_TUI_DATA is "
            f"{os.environ.get('MNIST_TUI_DATA', f'not set and {SHARED_DATASETS} does not exist')}; "
            f"missing: {', '.join(missing)}. Get them with `mnist-tui data download --dataset mnist --data-dir "
            "DIR/mnist` (and fashion-mnist), or set MNIST_TUI_DATA to a folder holding both.",
            returncode=4,
        )
    session_tmp = Path(tempfile.mkdtemp(prefix="mnist-tui-tests-"))
    # A session-wide cache keeps decoded arrays between tests, as a user's cache would.
    os.environ.setdefault("MNIST_TUI_TEST_CACHE", str(session_tmp / "cache"))
    os.environ["XDG_CACHE_HOME"] = os.environ["MNIST_TUI_TEST_CACHE"]
    os.environ["MNIST_TUI_HOME"] = str(session_tmp / "home")


def missing_datasets() -> list[str]:
    """`name/file` for each dataset file the tests read that $MNIST_TUI_DATA does not hold."""
    from data.registry import DATASETS
    from data.sources import find_file

    root = os.environ.get("MNIST_TUI_DATA")
    if not root:
        return [f"{name}/" for name in DATASETS]
    return [f"{name}/{file}" for name, spec in DATASETS.items() for file in spec.files.values()
            if find_file(Path(root) / name, file) is None]


@pytest.fixture
def mnist_tui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty run-store folder for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("MNIST_TUI_HOME", str(home))
    return home
