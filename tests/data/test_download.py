"""Downloads against a real HTTP server on 127.0.0.1 with faults: every failure ends cleanly."""

import numpy as np
import pytest

from data.download import download_file
from data.errors import DownloadError
from data.loader import load_dataset
from data.registry import get_spec
from data_helpers import SHARED, closed_port_url

MNIST = get_spec("mnist")
IMAGES = "t10k-images-idx3-ubyte.gz"  # 1.6 MB: big enough to cut in half, small enough to be quick
SHA = MNIST.sha256[IMAGES]
SIZE = (SHARED / "mnist" / IMAGES).stat().st_size


def fetch(server, dest, *faults, timeout=5.0, progress=None):
    return download_file(IMAGES, SHA, dest, tuple(server.url(f) for f in faults), timeout=timeout, progress=progress)


def only_final(dest):
    """The folder holds the verified file under its name and nothing else (no .part)."""
    assert sorted(p.name for p in dest.iterdir()) == [IMAGES]
    assert (dest / IMAGES).read_bytes() == (SHARED / "mnist" / IMAGES).read_bytes()
    return True


def test_404_on_first_mirror_falls_back(server, tmp_path):
    seen = []
    path = fetch(server, tmp_path, "missing", "ok", progress=lambda *a: seen.append(a))
    assert path == tmp_path / IMAGES and only_final(tmp_path)
    assert [r[0] for r in server.requests] == ["missing", "ok"]
    assert seen[-1] == (f"download {IMAGES}", SIZE, SIZE)
    assert all(a[1] <= b[1] for a, b in zip(seen, seen[1:]))


def test_cut_connection_is_resumed_with_range_on_the_next_mirror(server, tmp_path):
    fetch(server, tmp_path, "cut", "ok")
    assert only_final(tmp_path)
    faults = [r[0] for r in server.requests]
    assert faults[0] == "cut" and faults[-1] == "ok"
    assert server.requests[-1][2] == f"bytes={SIZE // 2}-"


def test_existing_partial_file_is_resumed(server, tmp_path):
    (tmp_path / f"{IMAGES}.part").write_bytes((SHARED / "mnist" / IMAGES).read_bytes()[:1000])
    fetch(server, tmp_path, "ok")
    assert only_final(tmp_path)
    assert server.requests == [("ok", f"mnist/{IMAGES}", "bytes=1000-")]


def test_server_ignoring_range_restarts_the_file(server, tmp_path):
    (tmp_path / f"{IMAGES}.part").write_bytes(b"junk that is not a prefix of the file")
    fetch(server, tmp_path, "norange")
    assert only_final(tmp_path)


def test_resumed_garbage_is_thrown_away_and_fetched_again(server, tmp_path):
    (tmp_path / f"{IMAGES}.part").write_bytes(b"\x1f\x8b" + bytes(500))
    fetch(server, tmp_path, "ok")
    assert only_final(tmp_path)
    assert [r[2] for r in server.requests] == ["bytes=502-", None]


def test_wrong_bytes_fail_the_checksum_and_fall_back(server, tmp_path):
    fetch(server, tmp_path, "wrong", "ok")
    assert only_final(tmp_path)


def test_slow_server_times_out_and_falls_back(server, tmp_path):
    fetch(server, tmp_path, "slow", "ok", timeout=1.0)
    assert only_final(tmp_path)


def test_every_mirror_failing_lists_each_url_and_leaves_nothing(server, tmp_path):
    dead = closed_port_url()
    with pytest.raises(DownloadError) as e:
        download_file(
            IMAGES, SHA, tmp_path,
            (server.url("missing"), server.url("wrong"), server.url("slow"), server.url("cut"), dead),
            timeout=1.0,
        )
    lines = str(e.value).splitlines()
    assert f"{server.url('missing')}{IMAGES}: HTTP 404" in lines[1]
    assert f"{server.url('wrong')}{IMAGES}: wrong content: sha256" in lines[2]
    assert f"{server.url('slow')}{IMAGES}: timed out" in lines[3]
    assert f"{server.url('cut')}{IMAGES}: connection closed after" in lines[4]
    assert f"{dead}{IMAGES}: " in lines[5] and "refused" in lines[5].lower()
    assert not (tmp_path / IMAGES).exists()
    # The cut mirror left a resumable partial file, never a file under the final name.
    assert [p.name for p in tmp_path.iterdir()] == [f"{IMAGES}.part"]


def test_load_dataset_downloads_into_the_user_cache(server, tmp_path, monkeypatch, fresh_cache):
    monkeypatch.delenv("MNIST_TUI_DATA")
    stages = set()
    dataset = load_dataset(
        "mnist", mirrors=(server.url("missing"), server.url("ok")), system_roots=(),
        progress=lambda stage, done, total: stages.add(stage),
    )
    assert dataset.downloaded and dataset.source.kind == "cache"
    assert dataset.source.path == fresh_cache / "datasets" / "mnist"
    assert sorted(p.name for p in dataset.source.path.iterdir()) == sorted(MNIST.files.values())
    assert {f"download {f}" for f in MNIST.files.values()} <= stages
    assert np.bincount(dataset.train_labels).tolist()[:2] == [5923, 6742]
    again = load_dataset("mnist", system_roots=())
    assert not again.downloaded and again.source.kind == "cache"


def test_offline_download_error_says_how_to_supply_files(tmp_path, monkeypatch, fresh_cache):
    monkeypatch.delenv("MNIST_TUI_DATA")
    dead = closed_port_url()
    monkeypatch.setenv("MNIST_TUI_MIRRORS", f"{dead}a/, {dead}b/")
    with pytest.raises(DownloadError) as e:
        load_dataset("fashion-mnist", system_roots=(), timeout=1)
    message = str(e.value)
    assert f"{dead}a/train-images-idx3-ubyte.gz: " in message
    assert f"{dead}b/train-images-idx3-ubyte.gz: " in message
    assert "--data-dir" in message and str(fresh_cache / "datasets" / "fashion-mnist") in message


def test_two_downloads_at_once_fetch_each_file_once(server, tmp_path, fresh_cache):
    import threading

    from data.download import download_dataset

    dest, errors = tmp_path / "mnist", []

    def download():
        try:
            download_dataset(MNIST, dest, mirrors=(server.url("ok"),))
        except Exception as e:  # reported below; a thread cannot raise into the test
            errors.append(e)

    threads = [threading.Thread(target=download) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r[1] for r in server.requests) == sorted(f"mnist/{f}" for f in MNIST.files.values())
    assert sorted(p.name for p in dest.iterdir()) == sorted(MNIST.files.values())
