"""Writing a file the user asked for (an export, a report): whole or not at all, never over an
existing file unless told, with the permissions any new file of theirs gets (their umask)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class OutputExistsError(FileExistsError):
    """The target exists and `force` was not given; str() is a user-ready message."""


def write_output(target: Path, text: str, *, force: bool = False) -> None:
    """Write `text` beside `target`, then move it into place.

    Without `force` the move is a hard link, which the file system refuses if `target` exists,
    so a file that appeared meanwhile is not replaced either. The temporary file is created with
    mode 0666 less the umask (not mkstemp's 0600): an export is an ordinary file of the user's.

    Raises:
        OutputExistsError: `target` exists and `force` is False (it is left untouched).
        OSError: the folder is missing or not writable.
    """
    exists = f"{target} already exists; use --force to replace it"
    if not force and target.exists():
        raise OutputExistsError(exists)
    fd, tmp = _create_beside(target)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise OutputExistsError(exists) from None
    finally:
        tmp.unlink(missing_ok=True)


def _create_beside(target: Path) -> tuple[int, Path]:
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue  # 2^32 names: another try finds a free one
