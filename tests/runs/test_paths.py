"""Folders come from platformdirs; on Linux they are the XDG folders, as before; the variables win."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from data.sources import dataset_cache_dir, user_cache_root
from runs.paths import database_path, home_dir

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG layout is Linux's")


@linux
def test_xdg_variables_place_the_store_and_the_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_TUI_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert home_dir() == tmp_path / "data" / "mnist-tui"
    assert database_path() == tmp_path / "data" / "mnist-tui" / "runs.sqlite3"
    assert user_cache_root() == tmp_path / "cache" / "mnist-tui"
    assert dataset_cache_dir("mnist") == tmp_path / "cache" / "mnist-tui" / "datasets" / "mnist"


@linux
def test_without_xdg_variables_the_folders_are_under_the_home(monkeypatch, tmp_path):
    for name in ("MNIST_TUI_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert home_dir() == tmp_path / ".local" / "share" / "mnist-tui"
    assert user_cache_root() == tmp_path / ".cache" / "mnist-tui"


def test_mnist_tui_home_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("MNIST_TUI_HOME", str(tmp_path / "mine"))
    assert home_dir() == Path(tmp_path / "mine")
