"""Where a dataset's four files are found, in order: --data-dir, $MNIST_TUI_DATA, user cache, system.

A folder qualifies when it holds all four files, each either as named in the registry
(`.gz`) or already decompressed (same name without `.gz`). Which folder was used is reported
as a `Source`, so the command line and the run store can say where the data came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_path

from data.errors import DataNotFoundError
from data.registry import DatasetSpec

ENV_DATA = "MNIST_TUI_DATA"
SOURCE_KINDS = ("data-dir", "env", "cache", "system")
# Debian's dataset-fashion-mnist installs /usr/share/datasets/fashion-mnist.
SYSTEM_ROOTS = (Path("/usr/share/datasets"), Path("/usr/local/share/datasets"))


@dataclass(frozen=True)
class Source:
    """The folder a dataset was read from; `files` maps each role to the file actually used."""

    kind: str
    path: Path
    files: dict[str, Path]

    def describe(self) -> str:
        return f"{self.kind}: {self.path}"


def user_cache_root() -> Path:
    """The platform's user cache folder (platformdirs, not created here): `$XDG_CACHE_HOME/mnist-tui`
    or `~/.cache/mnist-tui` on Linux, `~/Library/Caches/mnist-tui` on macOS,
    `%LOCALAPPDATA%\\mnist-tui\\Cache` on Windows."""
    return user_cache_path("mnist-tui", appauthor=False)


def dataset_cache_dir(name: str) -> Path:
    """Where downloads of dataset `name` go: `<user cache>/datasets/<name>`."""
    return user_cache_root() / "datasets" / name


def find_file(folder: Path, filename: str) -> Path | None:
    """`filename` in `folder`, or its decompressed twin (name without .gz); None if neither."""
    for candidate in (filename, filename.removesuffix(".gz")):
        path = folder / candidate
        if path.is_file():
            return path
    return None


def _missing(folder: Path, spec: DatasetSpec) -> tuple[dict[str, Path], list[str]]:
    found, missing = {}, []
    for role, filename in spec.files.items():
        path = find_file(folder, filename)
        if path is None:
            missing.append(filename)
        else:
            found[role] = path
    return found, missing


def candidate_folders(
    spec: DatasetSpec, *, system_roots: tuple[Path, ...] = SYSTEM_ROOTS
) -> list[tuple[str, Path | None, str]]:
    """(kind, folder or None, label) for every place looked at after --data-dir, in order."""
    env = os.environ.get(ENV_DATA)
    places: list[tuple[str, Path | None, str]] = [
        ("env", Path(env).expanduser() / spec.name if env else None, f"${ENV_DATA}"),
        ("cache", dataset_cache_dir(spec.name), "user cache"),
    ]
    places += [("system", root / spec.name, "system folder") for root in system_roots]
    return places


def locate(
    spec: DatasetSpec,
    data_dir: str | os.PathLike | None = None,
    *,
    system_roots: tuple[Path, ...] = SYSTEM_ROOTS,
) -> Source:
    """The first folder holding all of `spec`'s files.

    A `data_dir` the user names must hold them: it is never silently passed over.

    Raises:
        DataNotFoundError: naming each place looked at and what it lacked.
    """
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        if not folder.is_dir():
            raise DataNotFoundError(f"--data-dir {folder}: no such folder")
        found, missing = _missing(folder, spec)
        if missing:
            raise DataNotFoundError(
                f"--data-dir {folder}: missing {', '.join(missing)} "
                f"(a {spec.name} folder needs {', '.join(spec.files.values())}, .gz or decompressed)"
            )
        return Source("data-dir", folder, found)
    looked = []
    for kind, folder, label in candidate_folders(spec, system_roots=system_roots):
        if folder is None:
            looked.append(f"{label}: not set")
            continue
        if not folder.is_dir():
            looked.append(f"{label} {folder}: no such folder")
            continue
        found, missing = _missing(folder, spec)
        if not missing:
            return Source(kind, folder, found)
        looked.append(f"{label} {folder}: missing {', '.join(missing)}")
    raise DataNotFoundError(
        f"{spec.name} files not found. Looked in:\n  " + "\n  ".join(looked) + "\n" + supply_hint(spec)
    )


def supply_hint(spec: DatasetSpec, *, suggest_download: bool = True) -> str:
    """How a user gets the files onto the machine, with or without the downloader."""
    by_hand = (
        f"get the four files ({', '.join(spec.files.values())}, e.g. from {spec.mirrors[0]} "
        f"on a machine with internet access) and either put them in a folder DIR and pass --data-dir DIR "
        f"(for the dashboard too: `mnist-tui --data-dir DIR`), or put them in ROOT/{spec.name} and set "
        f"MNIST_TUI_DATA=ROOT, "
        f"or copy them into {dataset_cache_dir(spec.name)}"
    )
    if suggest_download:
        return f"Run `mnist-tui data download --dataset {spec.name}`, or {by_hand}"
    return f"To supply the files by hand, {by_hand}"
