"""A full disk and a read-only folder, reproduced for real (tmpfs, read-only bind mount): the history
can still be read, runs can be deleted on a full disk (freeing their models), and every write that
cannot be made says why in words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import run_sandboxed

BUILD = '''
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from runs.store import RunStore
from runs_test_helpers import DATASET_INFO, epoch_record, small_config
home = Path(os.environ["MNIST_TUI_HOME"])
with RunStore.open() as store:
    for seed in range(2):
        run = store.create_run(small_config(seed), DATASET_INFO)
        store.add_epoch(run, epoch_record(1))
        store.model_path(run).parent.mkdir(exist_ok=True)
        store.model_path(run).write_bytes(os.urandom(300_000))
        store.finish_run(run, "completed", model_path=store.model_path(run))
    orphan = store.create_run(small_config(9), DATASET_INFO)  # its finish_run failed, its process is gone
    store._write(lambda: store._conn.execute("UPDATE runs SET pid = 999999999 WHERE id = ?", (orphan,)))
if {pending!r}:  # a writer killed after its last commit: the log is not merged yet
    subprocess.run([sys.executable, "-c", "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
                    "c.execute('PRAGMA wal_autocheckpoint = 0'); c.execute(\\"UPDATE runs SET message = 'in the log' WHERE id = 2\\"); "
                    "os._exit(0)", str(home / "runs.sqlite3")], check=True)
'''


def _script(tmp_path, pending: bool, fault: str) -> str:
    """Two completed runs with 300 kB models on a 1.2 MB tmpfs, then the fault, then the commands."""
    tests = str(Path(__file__).parent)
    return f'''
disk = {str(tmp_path / "disk")!r}
os.makedirs(disk)
mount("-t", "tmpfs", "-o", "size=1200k", "tmpfs", disk)
os.environ["MNIST_TUI_HOME"] = disk + "/home"
{BUILD.format(tests=tests, pending=pending)}
if {fault!r} == "full":
    filler = os.open(disk + "/filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(filler, b"\\0" * 4096)
    except OSError:
        os.close(filler)
else:
    mount("--bind", disk + "/home", disk + "/home")
    mount("-o", "remount,ro,bind", disk + "/home")
results = {{name: mnist_tui(*args) for name, args in [
    ("list", ["runs", "list", "--json"]),
    ("show", ["runs", "show", "2"]),
    ("train", ["train", "--epochs", "1", "--limit", "100", "--val-size", "0"]),
    ("delete", ["runs", "delete", "1", "--yes"]),
    ("list after", ["runs", "list", "--json"]),
]}}
results["files"] = sorted(os.listdir(disk + "/home/models"))
print(json.dumps(results))
'''


@pytest.mark.parametrize("pending", [False, True], ids=["merged", "pending log"])
def test_full_disk_history_reads_and_delete_frees_space(tmp_path, pending):
    got = run_sandboxed(_script(tmp_path, pending, "full"), tmp_path)
    listed = json.loads(got["list"]["out"])
    assert got["list"]["code"] == 0, got["list"]["err"]
    assert [r["id"] for r in listed] == [3, 2, 1]  # newest first
    assert [r["message"] for r in listed][1] == ("in the log" if pending else "")
    assert got["show"]["code"] == 0 and "run 2" in got["show"]["out"]
    assert pending or "note: the disk holding" in got["list"]["err"]  # read through a snapshot, and said so
    assert got["train"]["code"] == 1 and "is full" in got["train"]["err"], got["train"]
    assert "Traceback" not in json.dumps(got)
    assert got["delete"]["code"] == 0, got["delete"]["err"]
    assert [r["id"] for r in json.loads(got["list after"]["out"])] == [3, 2]
    assert got["files"] == ["2.npz"]


@pytest.mark.parametrize("pending", [False, True], ids=["merged", "pending log"])
def test_read_only_folder_history_reads_and_writes_say_why(tmp_path, pending):
    got = run_sandboxed(_script(tmp_path, pending, "read-only"), tmp_path)
    assert got["list"]["code"] == 0, got["list"]["err"]
    listed = json.loads(got["list"]["out"])
    assert [r["id"] for r in listed] == [3, 2, 1]  # newest first
    assert listed[1]["message"] == ("in the log" if pending else "")
    assert got["show"]["code"] == 0 and "run 2" in got["show"]["out"]
    assert pending or "is read-only" in got["list"]["err"]
    for write in ("train", "delete"):
        assert got[write]["code"] == 1 and "is read-only" in got[write]["err"], got[write]
    assert "Traceback" not in json.dumps(got)
    assert [r["id"] for r in json.loads(got["list after"]["out"])] == [3, 2, 1]
    assert got["files"] == ["1.npz", "2.npz"]
