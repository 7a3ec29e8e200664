"""Decoded-array cache: verified IDX content kept as memory-mappable `.npy` in the user cache.

Decompressing and hashing the 47 MB training images takes a good fraction of a second; after
the first verified decode the array is stored as `<cache>/arrays/<content sha256>.npy` next to
a JSON manifest recording which source files (path, size, mtime) were verified to hold that
content, and the size and mtime of the `.npy` itself. A later load of an unchanged source file
maps the `.npy` read-only in milliseconds. A changed source, or a `.npy` that is missing,
truncated, rewritten or unreadable, misses the cache and is decoded, verified and stored again.
Cache files are only ever replaced (write to a temporary file, rename), never rewritten in
place, so arrays already mapped by a running process stay valid. Nothing is ever written
next to the source files, so read-only data folders work.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from data.sources import user_cache_root

MAX_SOURCES = 16


def arrays_dir() -> Path:
    return user_cache_root() / "arrays"


def source_key(path: str | os.PathLike) -> dict:
    """What identifies one state of a source file: absolute path, size and mtime (raises OSError).

    Take it before reading the file, so a change during the decode is never recorded as verified.
    """
    st = os.stat(path)
    return {"path": os.path.abspath(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _read_manifest(sha256: str) -> dict | None:
    try:
        manifest = json.loads((arrays_dir() / f"{sha256}.json").read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("sha256") == sha256 else None


def _map_npy(sha256: str, manifest: dict) -> np.ndarray | None:
    """The cached array, if the `.npy` is the one the manifest describes and loads whole."""
    npy = arrays_dir() / f"{sha256}.npy"
    try:
        st = npy.stat()
        if (st.st_size, st.st_mtime_ns) != (manifest.get("npy_size"), manifest.get("npy_mtime_ns")):
            return None
        array = np.load(npy, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if array.dtype != np.uint8 or list(array.shape) != manifest.get("shape"):
        return None
    return array


def lookup(key: dict, sha256: str) -> np.ndarray | None:
    """The decoded array of the source file `key` if it was verified to hold content `sha256`."""
    manifest = _read_manifest(sha256)
    if manifest is None or key not in manifest.get("sources", []):
        return None
    return _map_npy(sha256, manifest)


def _atomic_write(target: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def remember(key: dict, sha256: str, array: np.ndarray) -> np.ndarray:
    """Record that source file `key` holds verified content `sha256` decoding to `array`; return the cached map.

    The `.npy` is rewritten only if it is not already a valid copy. If the cache cannot be
    written (read-only home, full disk) the in-memory `array` is returned and loads stay correct,
    only slower.
    """
    folder = arrays_dir()
    manifest = _read_manifest(sha256)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mapped = _map_npy(sha256, manifest) if manifest else None
        if mapped is None:
            npy = folder / f"{sha256}.npy"
            _atomic_write(npy, lambda f: np.save(f, array, allow_pickle=False))
            st = npy.stat()
            manifest = {
                "sha256": sha256,
                "shape": list(array.shape),
                "npy_size": st.st_size,
                "npy_mtime_ns": st.st_mtime_ns,
                "sources": [],
            }
        sources = [s for s in manifest["sources"] if s.get("path") != key["path"]] + [key]
        manifest["sources"] = sources[-MAX_SOURCES:]
        text = json.dumps(manifest, indent=1).encode()
        _atomic_write(folder / f"{sha256}.json", lambda f: f.write(text))
        if mapped is None:
            mapped = _map_npy(sha256, manifest)
    except OSError:
        return array
    return array if mapped is None else mapped
