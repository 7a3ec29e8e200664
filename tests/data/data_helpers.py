"""Shared helpers of the data tests: folders holding (links to) the real dataset files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from data.registry import get_spec

SHARED = Path(os.environ.get("MNIST_TUI_DATA", Path(__file__).resolve().parents[3] / "shared" / "datasets"))


def make_folder(folder: Path, name: str = "mnist", *, copy: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> Path:
    """`folder` holding the dataset's files: symlinks to the shared ones, real copies for `copy`.

    Copies are what a test may modify; the shared files are never written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for filename in get_spec(name).files.values():
        if filename in skip:
            continue
        target = SHARED / name / filename
        if filename in copy:
            shutil.copyfile(target, folder / filename)
        else:
            (folder / filename).symlink_to(target)
    return folder


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a port just bound and released): connection refused."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
