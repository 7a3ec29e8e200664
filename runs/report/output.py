"""Writing a report file: whole or not at all, and never over an existing file unless told."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class ReportExistsError(FileExistsError):
    """The target exists and `force` was not given; str() is a user-ready message."""


def write_report(target: Path, text: str, *, force: bool = False) -> None:
    """Write `text` beside `target`, then move it into place.

    Without `force` the move is a hard link, which the file system refuses if `target` exists,
    so a file that appeared meanwhile is not replaced either.

    Raises:
        ReportExistsError: `target` exists and `force` is False (it is left untouched).
        OSError: the folder is missing or not writable.
    """
    if not force and target.exists():
        raise ReportExistsError(f"{target} already exists; use --force to replace it")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise ReportExistsError(f"{target} already exists; use --force to replace it") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
