"""Download a dataset's files from its mirrors into a folder, verified before they get their name.

Each file is fetched to `<name>.part`, resumed with an HTTP Range request when a partial file
exists and the server honours it, and renamed to `<name>` only once the sha256 of its
decompressed content matches the registry. A failing mirror (HTTP error, refused connection,
timeout, connection cut, wrong bytes) passes the file on to the next mirror; when all fail,
one DownloadError lists every URL tried with its error and how to supply the files by hand.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from data.errors import DataError, DownloadError
from data.idx import content_sha256
from data.registry import DatasetSpec
from data.sources import dataset_cache_dir, supply_hint, user_cache_root

ENV_MIRRORS = "MNIST_TUI_MIRRORS"
DEFAULT_TIMEOUT = 30.0
CHUNK = 1 << 16
USER_AGENT = "mnist-tui/0.1 (dataset downloader)"

Progress = Callable[[str, int, "int | None"], None]


def mirrors_for(spec: DatasetSpec) -> tuple[str, ...]:
    """`spec.mirrors`, unless $MNIST_TUI_MIRRORS lists base URLs (comma or space separated)."""
    override = os.environ.get(ENV_MIRRORS, "").replace(",", " ").split()
    return tuple(override) or spec.mirrors


class _Interrupted(OSError):
    """The connection ended before the announced length arrived."""


def _fetch(url: str, part: Path, timeout: float, progress: Progress | None, stage: str) -> None:
    """Append the rest of `url` to `part` (or rewrite it if the server ignores the Range)."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:  # the partial file is not a prefix the server knows: start over
            part.unlink()
            return _fetch(url, part, timeout, progress, stage)
        raise
    with response:
        resumed = offset and response.status == 206 and _range_start(response) == offset
        if not resumed:
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        done = offset
        with open(part, "ab" if resumed else "wb") as f:
            if progress:
                progress(stage, done, total)
            while block := response.read(CHUNK):
                f.write(block)
                done += len(block)
                if progress:
                    progress(stage, done, total)
    if total is not None and done < total:
        raise _Interrupted(f"connection closed after {done} of {total} bytes")


def _range_start(response) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        error = error.reason
    if isinstance(error, TimeoutError):
        return f"timed out (no data for {timeout:g} s)"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def download_file(
    filename: str,
    sha256: str,
    dest_dir: str | os.PathLike,
    mirrors: tuple[str, ...],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
    size: int | None = None,
) -> Path:
    """Fetch `filename` from the first mirror that serves the right content into `dest_dir`.

    `size`, the expected decompressed size, stops hashing a served gzip bomb early.

    A mirror gets a second attempt when the first one made progress before failing (so a cut
    connection is resumed) or when a resumed file fails its checksum (then it starts over).

    Raises:
        DownloadError: listing each URL tried and its error.
    """
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    final, part = dest / filename, dest / f"{filename}.part"
    stage = f"download {filename}"
    tried = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        for _attempt in range(2):
            before = part.stat().st_size if part.exists() else 0
            try:
                _fetch(url, part, timeout, progress, stage)
                got = content_sha256(part, max_bytes=size)
            except (OSError, http.client.HTTPException) as e:
                error = _describe(e, timeout)
                if part.exists() and part.stat().st_size > before:
                    continue
                break
            except DataError as e:  # not gzip / truncated gzip: the bytes are wrong
                got, error = None, "bad content: " + str(e).replace(f"{part}: ", "")
            if got == sha256:
                os.replace(part, final)
                return final
            if got is not None:
                error = f"wrong content: sha256 {got}, expected {sha256}"
            part.unlink()
            if not before:
                break
        tried.append(f"{url}: {error}")
    raise DownloadError(f"could not download {filename}; tried:\n  " + "\n  ".join(tried))


def download_dataset(
    spec: DatasetSpec,
    dest_dir: str | os.PathLike | None = None,
    *,
    mirrors: tuple[str, ...] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
) -> Path:
    """Download the files of `spec` missing or wrong in `dest_dir` (default: the user cache folder).

    Returns:
        The folder now holding all four verified files.
    """
    dest = Path(dest_dir) if dest_dir is not None else dataset_cache_dir(spec.name)
    mirrors = mirrors or mirrors_for(spec)
    try:
        with _exclusive(dest):
            for role, filename in spec.files.items():
                sha256, size = spec.sha256[filename], spec.content_size(role)
                if (dest / filename).is_file() and _holds(dest / filename, sha256, size):
                    continue
                download_file(filename, sha256, dest, mirrors, timeout=timeout, progress=progress, size=size)
    except DownloadError as e:
        raise DownloadError(f"{spec.name}: {e}\n{supply_hint(spec, suggest_download=False)}") from None
    except OSError as e:
        raise DownloadError(f"{spec.name}: cannot write to {dest}: {e.strerror or e}") from None
    return dest


@contextmanager
def _exclusive(dest: Path) -> Iterator[None]:
    """Hold a lock on downloads into `dest`, so two runs starting at once do not share a .part file.

    The lock file lives in the user cache (never in `dest`, which may be the user's own folder).
    If it cannot be created, downloads proceed unlocked.
    """
    key = hashlib.sha1(os.path.abspath(dest).encode()).hexdigest()[:16]
    lock_path = user_cache_root() / "locks" / f"download-{key}.lock"
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(lock_path, "a")
    except OSError:
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _holds(path: Path, sha256: str, size: int | None = None) -> bool:
    try:
        return content_sha256(path, max_bytes=size) == sha256
    except (OSError, DataError):
        return False
