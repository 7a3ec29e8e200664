"""Fixtures for data tests: a private user cache per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_helpers import SHARED
from data_loopback import LoopbackServer


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch) -> Path:
    """An empty user cache for this test only (decoded arrays and downloads)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache / "mnist-tui"


@pytest.fixture
def server():
    """A loopback HTTP server with faults, serving the shared datasets."""
    httpd = LoopbackServer(SHARED)
    httpd.thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
