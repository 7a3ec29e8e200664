"""Load a dataset into uint8 arrays: find (or download) its files, decode, verify, cache."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from data import cache
from data.download import DEFAULT_TIMEOUT, download_dataset
from data.errors import ChecksumError, DataError, DataNotFoundError, IdxFormatError
from data.idx import check_counts, parse, read_content
from data.registry import IMAGE_SHAPE, DatasetSpec, get_spec
from data.sources import SYSTEM_ROOTS, Source, locate

Progress = Callable[[str, int, "int | None"], None]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A dataset's four arrays (read-only uint8, memory-mapped when cached) and where they came from."""

    spec: DatasetSpec
    source: Source
    downloaded: bool
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    checksums: dict[str, str] = field(default_factory=dict)

    def class_counts(self, split: str = "train") -> np.ndarray:
        """Examples per class (10,) in the 'train' or 'test' file."""
        labels = self.train_labels if split == "train" else self.test_labels
        return np.bincount(labels, minlength=len(self.spec.class_names))


def decode_verified(path: str | os.PathLike, kind: str, sha256: str, size: int | None = None) -> np.ndarray:
    """Decode the IDX file at `path` and check its content hash; the array views the content.

    `size` is the content's expected length (DatasetSpec.content_size): reading stops past it.

    Raises:
        DataError: the file cannot be read;
        IdxFormatError: it is not a valid IDX file of `kind`;
        ChecksumError: it is, but its content is not the expected one.
    """
    try:
        content = read_content(path, max_bytes=size)
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from None
    array = parse(content, kind, path)
    got = hashlib.sha256(content).hexdigest()
    if got != sha256:
        raise ChecksumError(
            f"{path}: sha256 of the decompressed content is {got}, expected {sha256} "
            "(the file is damaged or not the official one)"
        )
    if kind == "images" and array.shape[1:] != IMAGE_SHAPE:
        raise IdxFormatError(f"{path}: images of {array.shape[1:]}, expected {IMAGE_SHAPE}")
    return array


def load_file(path: Path, kind: str, sha256: str, size: int | None = None) -> np.ndarray:
    """The verified array of `path`: from the decoded-array cache if unchanged, else decoded now."""
    try:
        key = cache.source_key(path)
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from None
    cached = cache.lookup(key, sha256)
    if cached is not None:
        return cached
    return cache.remember(key, sha256, decode_verified(path, kind, sha256, size))


def load_dataset(
    name: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    progress: Progress | None = None,
    mirrors: tuple[str, ...] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    system_roots: tuple[Path, ...] = SYSTEM_ROOTS,
) -> Dataset:
    """Load dataset `name` from the first source holding it (see data.sources), downloading if none does.

    Args:
        data_dir: a folder holding the four files; when given, no other source is used.
        download: fetch the files into the user cache when no source has them.
        progress: called as progress(stage, done, total) while downloading (bytes) and decoding (files).
        mirrors: base URLs to download from instead of the registry's (or $MNIST_TUI_MIRRORS).

    Raises:
        DataError: a subclass whose message names the file or folder and what was expected.
    """
    spec = get_spec(name)
    downloaded = False
    try:
        source = locate(spec, data_dir, system_roots=system_roots)
    except DataNotFoundError:
        if data_dir is not None or not download:
            raise
        download_dataset(spec, mirrors=mirrors, timeout=timeout, progress=progress)
        source = locate(spec, system_roots=())
        downloaded = True
    arrays, checksums = {}, {}
    for i, (role, path) in enumerate(source.files.items()):
        filename = spec.files[role]
        if progress:
            progress(f"load {filename}", i, len(source.files))
        arrays[role] = load_file(path, spec.file_kind(role), spec.sha256[filename], spec.content_size(role))
        checksums[filename] = spec.sha256[filename]
    if progress:
        progress("load", len(source.files), len(source.files))
    for split in ("train", "test"):
        check_counts(
            arrays[f"{split}_images"], arrays[f"{split}_labels"],
            str(source.files[f"{split}_images"]), str(source.files[f"{split}_labels"]),
        )
    return Dataset(spec=spec, source=source, downloaded=downloaded, checksums=checksums, **arrays)
