"""`mnist-tui data verify|info|download` run as a user would: a separate process, real files."""

import os
import subprocess
import sys

from data.registry import get_spec
from data_helpers import SHARED, closed_port_url, make_folder

MNIST = get_spec("mnist")


def data_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "tui", "data", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_verify_good_files():
    result = data_cli("verify", "--dataset", "mnist")
    assert result.returncode == 0, result.stderr
    good = [line for line in result.stdout.splitlines() if line.startswith("good")]
    assert len(good) == 4
    for filename, sha in MNIST.sha256.items():
        assert any(filename in line and sha in line for line in good)
    assert f"env: {SHARED / 'mnist'}" in result.stdout


def test_verify_truncated_copy_names_the_file(tmp_path):
    bad = "train-labels-idx1-ubyte.gz"
    folder = make_folder(tmp_path / "mnist", skip=(bad,))
    data = (SHARED / "mnist" / bad).read_bytes()
    (folder / bad).write_bytes(data[: len(data) - 1000])
    result = data_cli("verify", "--data-dir", str(folder))
    assert result.returncode == 1
    assert f"BAD   {bad}: truncated" in result.stdout
    assert sum(line.startswith("good") for line in result.stdout.splitlines()) == 3
    assert bad in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_verify_wrong_content_shows_expected_and_got(tmp_path):
    import numpy as np

    from data.idx import write_idx

    folder = make_folder(tmp_path / "mnist", skip=("t10k-labels-idx1-ubyte.gz",))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.ones(10000, dtype=np.uint8))
    result = data_cli("verify", "--data-dir", str(folder))
    assert result.returncode == 1
    line = next(l for l in result.stdout.splitlines() if l.startswith("BAD"))
    assert "t10k-labels-idx1-ubyte.gz" in line and "expected " + MNIST.sha256["t10k-labels-idx1-ubyte.gz"] in line


def test_missing_folder_is_a_clean_error(tmp_path):
    result = data_cli("info", "--data-dir", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: --data-dir") and "no such folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_info_prints_source_sizes_and_class_counts():
    result = data_cli("info", "--dataset", "fashion-mnist")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"source  env: {SHARED / 'fashion-mnist'}" in out
    size = (SHARED / "fashion-mnist" / "train-images-idx3-ubyte.gz").stat().st_size
    assert f"{size:,} B" in out
    assert any(line.split()[:3] == ["9", "Ankle", "boot"] and line.split()[3:] == ["6000", "1000"]
               for line in out.splitlines())


def test_unknown_dataset_exits_2_naming_the_flag():
    result = data_cli("info", "--dataset", "cifar")
    assert result.returncode == 2
    assert "--dataset" in result.stderr and "cifar" in result.stderr


def test_download_into_a_folder_from_a_mirror(server, tmp_path):
    dest = tmp_path / "got"
    result = data_cli(
        "download", "--data-dir", str(dest),
        env={"MNIST_TUI_MIRRORS": f"{server.url('missing')} {server.url('ok')}", "XDG_CACHE_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in dest.iterdir()) == sorted(MNIST.files.values())
    assert f"four verified files in {dest}" in result.stdout


def test_download_offline_is_a_clean_error(tmp_path):
    dead = closed_port_url()
    env = {"MNIST_TUI_MIRRORS": dead, "XDG_CACHE_HOME": str(tmp_path), "MNIST_TUI_DATA": str(tmp_path)}
    result = data_cli("download", "--dataset", "fashion-mnist", env=env)
    assert result.returncode == 1
    assert f"{dead}train-images-idx3-ubyte.gz" in result.stderr
    assert "--data-dir" in result.stderr and "Traceback" not in result.stderr


def test_download_when_already_available_does_nothing():
    result = data_cli("download")
    assert result.returncode == 0, result.stderr
    assert f"already available (env: {SHARED / 'mnist'})" in result.stdout
