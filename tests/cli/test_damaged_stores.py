"""The fuzz of damaged stores: every command on every damage ends with a message, never a traceback,
a hang or a change to a refused file; a damaged run is named while the other runs stay usable.

Commands run in this process (`tui.cli.main`), so the hundreds of them take seconds.
"""

from __future__ import annotations

import json
import shutil

import pytest

from damaged_stores import HARMLESS, ROW_DAMAGE, STORE_DAMAGE, digests, run_command
from nn_core.config import TrainConfig
from runs.config import DataConfig, RunConfig
from runs.service import execute_run
from runs.store import RunStore

READ_COMMANDS = (
    ("runs", "list"), ("runs", "list", "--json"), ("runs", "show", "1"), ("runs", "show", "1", "--json"),
    ("runs", "compare", "1", "2"), ("runs", "export", "1"), ("runs", "export", "1", "--format", "json"),
    ("predict", "--run", "1", "--count", "1"),
)


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    """Two small completed runs with their model files."""
    home = tmp_path_factory.mktemp("healthy") / "home"
    config = RunConfig(data=DataConfig(limit=300, val_size=100), train=TrainConfig(epochs=2))
    with RunStore.open(home / "runs.sqlite3") as store:
        assert [execute_run(config, store=store).status for _ in range(2)] == ["completed", "completed"]
    return home


@pytest.fixture
def damaged_home(healthy, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(healthy, home, symlinks=True)
    return home


def _clean(outcome, command) -> None:
    assert outcome.crash is None, f"{command}: {outcome.crash}"
    assert outcome.code in (0, 1), f"{command}: exit {outcome.code}: {outcome.err}"


@pytest.mark.parametrize("damage", STORE_DAMAGE, ids=list(STORE_DAMAGE))
def test_a_damaged_store_is_refused_by_every_command_and_left_byte_identical(damaged_home, damage):
    STORE_DAMAGE[damage](damaged_home)
    before = digests(damaged_home)
    for command in (*READ_COMMANDS, ("runs", "delete", "1", "--yes"), ("train", "--epochs", "1", "--limit", "100")):
        outcome = run_command(damaged_home, *command)
        _clean(outcome, command)
        assert outcome.code == 1 and "runs.sqlite3" in outcome.err, (command, outcome.err)
        assert digests(damaged_home) == before, f"{command} changed the refused store"


@pytest.mark.parametrize("damage", ROW_DAMAGE, ids=list(ROW_DAMAGE))
def test_a_damaged_run_is_named_and_the_others_stay_usable(damaged_home, damage):
    ROW_DAMAGE[damage](damaged_home)
    outside = damaged_home.parent / "outside.npz"
    outside.write_bytes(outside.read_bytes() if outside.exists() else b"not yours")
    before, outside_bytes = digests(damaged_home), outside.read_bytes()
    pending = (damaged_home / "runs.sqlite3-wal").exists()  # SQLite merges a log when its last reader closes
    for command in READ_COMMANDS:
        outcome = run_command(damaged_home, *command)
        _clean(outcome, command)
        assert outcome.code == 1 and "run 1 is damaged" in outcome.err, (command, outcome.out, outcome.err)
    listed = json.loads(run_command(damaged_home, "runs", "list", "--json").out)
    assert [bool(r["problems"]) for r in listed] == [False, True]  # newest first: run 2, run 1
    assert run_command(damaged_home, "runs", "show", "2").code == 0
    assert run_command(damaged_home, "runs", "compare", "2", "2").code == 2  # a usage error, as on a healthy store
    assert pending or digests(damaged_home) == before, "reading changed the store"

    deleted = run_command(damaged_home, "runs", "delete", "1", "--yes")
    _clean(deleted, "delete")
    assert deleted.code == 0, deleted.err
    assert outside.read_bytes() == outside_bytes  # nothing outside the home is touched
    after = run_command(damaged_home, "runs", "list", "--json")
    assert after.code == 0 and [r["id"] for r in json.loads(after.out)] == [2]


@pytest.mark.parametrize("damage", HARMLESS, ids=list(HARMLESS))
def test_odd_but_valid_values_are_not_damage(damaged_home, damage):
    HARMLESS[damage](damaged_home)
    for command in READ_COMMANDS[:-1]:
        outcome = run_command(damaged_home, *command)
        _clean(outcome, command)
        assert outcome.code == 0, (command, outcome.err)
