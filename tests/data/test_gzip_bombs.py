"""Gzip bombs and oversized IDX files (issue 9, item 7): refused as soon as the content passes the
size the registry expects, naming the file and both sizes, in little memory and time."""

from __future__ import annotations

import gzip
import os
import sys
import tracemalloc
from pathlib import Path

import pytest

from data.errors import IdxFormatError
from data.idx import read_content
from data.loader import load_dataset
from data.registry import DATASETS, get_spec
from data_helpers import SHARED, make_folder
from measured_run import run_measured

BOMB_BYTES = 600 << 20
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"


def _gzip_bomb(path: Path, size: int) -> Path:
    """A valid IDX header for 60000 28x28 images, then zeros up to `size` bytes, gzip-compressed."""
    header = bytes([0, 0, 8, 3]) + (60000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    block = bytes(4 << 20)
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header)
        left = size - len(header)
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    return path


@pytest.fixture(scope="module")
def bomb_folder(tmp_path_factory) -> Path:
    folder = make_folder(tmp_path_factory.mktemp("bomb"), skip=(TRAIN_IMAGES,))
    _gzip_bomb(folder / TRAIN_IMAGES, BOMB_BYTES)
    assert (folder / TRAIN_IMAGES).stat().st_size < 3 << 20  # small on disk, 600 MB inside
    return folder


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_registry_sizes_are_those_of_the_real_files(name):
    spec = get_spec(name)
    for role, filename in spec.files.items():
        if not (SHARED / name / filename).exists():
            pytest.skip(f"{name} files not in {SHARED}")
        assert len(read_content(SHARED / name / filename)) == spec.content_size(role), filename


def test_loading_stops_at_the_expected_size_in_little_memory(bomb_folder):
    expected = get_spec("mnist").content_size("train_images")
    tracemalloc.start()
    try:
        with pytest.raises(IdxFormatError) as error:
            load_dataset("mnist", bomb_folder, download=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(error.value)
    assert str(bomb_folder / TRAIN_IMAGES) in message and f"more than {expected:,} bytes" in message
    assert peak < 2.5 * expected, f"{peak:,} bytes held while refusing"


def test_an_oversized_raw_file_is_refused_by_its_size_without_reading(tmp_path):
    folder = make_folder(tmp_path / "raw", skip=(TRAIN_IMAGES,))
    raw = folder / TRAIN_IMAGES.removesuffix(".gz")
    with open(raw, "wb") as f:
        f.truncate(10 << 30)  # sparse: 10 GiB that take no disk
    with pytest.raises(IdxFormatError, match=f"holds {10 << 30:,} bytes, expected 47,040,016"):
        load_dataset("mnist", folder, download=False)


@pytest.mark.parametrize(
    "args",
    [("data", "verify"), ("data", "info"), ("train", "--epochs", "1", "--limit", "100")],
    ids=["verify", "info", "train"],
)
def test_commands_refuse_the_bomb_quickly_and_in_little_memory(bomb_folder, tmp_path, args):
    env = {**os.environ, "MNIST_TUI_HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = run_measured([sys.executable, "-m", "tui", *args, "--data-dir", str(bomb_folder)], env, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert TRAIN_IMAGES in output and "47,040,016" in output and "Traceback" not in output
    assert result.peak_rss_kib < 300 * 1024, f"peak RSS {result.peak_rss_kib} KiB"
