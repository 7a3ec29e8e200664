"""Model files are derived from the run id inside the store's own models folder; a row pointing
anywhere else is damaged, and nothing outside the models folder is ever read or deleted."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from runs.store import DamagedRunError, RunStore
from runs_test_helpers import DATASET_INFO, small_config


def _home_with_model(home):
    with RunStore.open(home / "runs.sqlite3") as store:
        run_id = store.create_run(small_config(), DATASET_INFO)
        model = store.model_path(run_id)
        model.parent.mkdir(parents=True)
        model.write_bytes(b"weights of A")
        store.finish_run(run_id, "completed", model_path=model)
    return run_id


def _set_model_path(home, value):
    conn = sqlite3.connect(home / "runs.sqlite3")
    conn.execute("UPDATE runs SET model_path = ? WHERE id = 1", (value,))
    conn.commit()
    conn.close()


def test_a_new_row_stores_the_model_name_not_a_path(tmp_path):
    _home_with_model(tmp_path)
    stored = sqlite3.connect(tmp_path / "runs.sqlite3").execute("SELECT model_path FROM runs").fetchone()[0]
    assert stored == "1.npz"


def test_a_copied_home_uses_and_deletes_only_its_own_model(tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    _home_with_model(a)
    _set_model_path(a, str(a / "models" / "1.npz"))  # as older versions stored it: absolute
    shutil.copytree(a, b)
    (b / "models" / "1.npz").write_bytes(b"weights of B")
    with RunStore.open(b / "runs.sqlite3") as store:
        assert store.get_run(1).model_path == str(b / "models" / "1.npz")
        store.delete_run(1)
    assert (a / "models" / "1.npz").read_bytes() == b"weights of A"
    assert not (b / "models" / "1.npz").exists()


@pytest.mark.parametrize("stored", ["/nonexistent/passwd", "../../victim.npz", "models/../../victim.npz", "2.npz", "{victim}"])
def test_a_row_pointing_elsewhere_is_damaged_and_delete_touches_nothing_outside(tmp_path, stored):
    home = tmp_path / "home"
    _home_with_model(home)
    victim = tmp_path / "victim.npz"
    victim.write_bytes(b"someone else's file")
    _set_model_path(home, stored.format(victim=victim))
    with RunStore.open(home / "runs.sqlite3") as store:
        run = store.get_run(1)
        assert run.damaged and "model_path" in run.problems[0]
        with pytest.raises(DamagedRunError, match="run 1 is damaged: model_path"):
            store.usable_run(1)
        store.delete_run(1)
    assert victim.read_bytes() == b"someone else's file"


def test_a_model_file_linking_out_of_the_folder_is_damaged_and_only_the_link_is_deleted(tmp_path):
    home = tmp_path / "home"
    _home_with_model(home)
    victim = tmp_path / "victim.npz"
    victim.write_bytes(b"someone else's file")
    (home / "models" / "1.npz").unlink()
    (home / "models" / "1.npz").symlink_to(victim)
    with RunStore.open(home / "runs.sqlite3") as store:
        assert "link leading out of the models folder" in store.get_run(1).problems[0]
        store.delete_run(1)
    assert victim.read_bytes() == b"someone else's file" and not (home / "models" / "1.npz").is_symlink()
