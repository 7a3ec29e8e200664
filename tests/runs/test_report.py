"""The HTML report: complete, self-contained, escaped, and never written over a file unasked."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest

from nn_core.config import ModelConfig, TrainConfig
from runs.config import DataConfig, RunConfig
from runs.report.html import esc
from runs.output_file import OutputExistsError, write_output
from runs.report.mistakes import model_file
from runs.report.runs_report import runs_report, usable_confusion
from runs.service import execute_run
from runs.store import RunStore

HOSTILE = '<script>alert("x")</script>\x1b[31m<img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def store_home(tmp_path_factory):
    """Two real runs that differ in width and learning rate, and one that diverged."""
    home = tmp_path_factory.mktemp("report-home")
    configs = [
        RunConfig(data=DataConfig(limit=1500, val_size=500), train=TrainConfig(epochs=2)),
        RunConfig(data=DataConfig(limit=1500, val_size=500), model=ModelConfig(hidden_sizes=(32,)),
                  train=TrainConfig(epochs=3, learning_rate=0.03)),
        RunConfig(data=DataConfig(limit=500, val_size=0), train=TrainConfig(epochs=1, learning_rate=1e30)),
    ]
    with RunStore.open(home) as store:
        assert [execute_run(c, store=store).status for c in configs] == ["completed", "completed", "diverged"]
    return home


def _report(home, *ids):
    with RunStore.open(home) as store:
        return runs_report([store.get_run(i) for i in ids], store.models_dir)


def test_report_of_two_runs_has_every_part(store_home):
    page = _report(store_home, 1, 2)
    # overlaid curves, then per run: curves, confusion heat map, misclassified digits
    assert page.count("<svg") == 1 + 2 * 3
    for text in ("Settings that differ", "model.hidden_sizes", "train.learning_rate", "Run 1 · 784-64-10 relu",
                 "Run 2 · 784-32-10 relu", "Confusion matrix", "Most confident mistakes", "sha256",
                 "train-images-idx3-ubyte.gz"):
        assert text in page, text
    differ = page[page.index("Settings that differ"):page.index('id="run-1"')]
    assert "train.epochs" in differ and "train.optimizer" not in differ  # only differing settings
    with RunStore.open(store_home) as store:
        run = store.get_run(2)
    assert f"{100 * run.final['test_acc']:.2f}%" in page
    assert len(re.findall(r"<tr class=\"best\">", page)) >= 2  # best run in the comparison, best epoch per run


def test_report_is_self_contained(store_home):
    page = _report(store_home, 1)
    assert "<script" not in page.lower()
    # nothing is fetched: no src/href to another document, no CSS url() but inline data
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:|#)""", page)
    assert not re.search(r"url\((?!#|data:)", page)
    assert "default-src 'none'" in page


def test_a_diverged_run_is_reported_with_its_message(store_home):
    page = _report(store_home, 3)
    assert "diverged" in page and "lower learning rate" in page
    assert "No confusion matrix" in page and "Not shown:" in page
    assert "no validation split" in page  # val_size 0: nothing is called best on the test set


def test_a_run_without_validation_is_never_highlighted_as_best(store_home, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "runs.sqlite3").write_bytes((store_home / "runs.sqlite3").read_bytes())
    with sqlite3.connect(home / "runs.sqlite3") as db:  # run 2 as if it had no validation split, high test acc
        db.execute("UPDATE epochs SET val_acc = NULL, val_loss = NULL, test_acc = 0.999 WHERE run_id = 2")
    page = _report(home, 1, 2)
    comparison = page[:page.index('id="run-1"')]
    best_rows = re.findall(r'<tr class="best"><td>(.*?)</td>', comparison)
    assert best_rows == ["run 1"]
    run2 = page[page.index('id="run-2"'):]
    assert '<tr class="best">' not in run2 and "no validation split" in run2


def test_stored_text_is_shown_as_text(store_home, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "runs.sqlite3").write_bytes((store_home / "runs.sqlite3").read_bytes())
    with sqlite3.connect(home / "runs.sqlite3") as db:
        dataset = json.loads(db.execute("SELECT dataset FROM runs WHERE id = 3").fetchone()[0])
        dataset["source"]["path"] = HOSTILE
        db.execute("UPDATE runs SET message = ?, dataset = ? WHERE id = 3", (HOSTILE, json.dumps(dataset)))
    page = _report(home, 3)
    assert "<script>alert" not in page and "<img src=x" not in page and "\x1b" not in page
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\ufffd[31m&lt;img src=x") == 2


def test_escape_replaces_controls_and_markup():
    assert esc('a<b>&"\'\x07\u202e') == "a&lt;b&gt;&amp;&quot;&#x27;\ufffd\ufffd"


def test_a_model_file_outside_the_models_folder_is_not_read(store_home, tmp_path):
    outside = tmp_path / "elsewhere.npz"
    outside.write_bytes((store_home / "models" / "1.npz").read_bytes())
    with RunStore.open(store_home) as store:
        run = store.get_run(1)
    moved = type(run)(**{**run.__dict__, "model_path": str(outside)})  # as a record from an older store might say
    assert "outside the store's models folder" in model_file(moved, store_home / "models")
    assert model_file(run, store_home / "models") == (store_home / "models" / "1.npz").resolve()


def test_a_damaged_run_is_named_and_not_drawn(store_home, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "runs.sqlite3").write_bytes((store_home / "runs.sqlite3").read_bytes())
    shutil.copytree(store_home / "models", home / "models")
    with sqlite3.connect(home / "runs.sqlite3") as db:
        db.execute("UPDATE runs SET confusion = ? WHERE id = 1", (json.dumps([[1] * 300] * 300),))
    page = _report(home, 1, 2)
    section = page[page.index('id="run-1"'):page.index('id="run-2"')]
    assert "run 1 is damaged: confusion" in section and "<svg" not in section
    assert page.count("<svg") == 1 + 3  # the comparison's curves and run 2 in full


def test_only_a_square_table_of_counts_is_a_confusion_matrix():
    assert usable_confusion([[3, 1], [0, 4]], 2)
    for bad in ([[1] * 300] * 300, [["x", 1], [0, 4]], [[1, 2]], [[-1, 0], [0, 1]], [[True, 0], [0, 1]], "x"):
        assert not usable_confusion(bad, 2), bad


def test_write_report_refuses_an_existing_file_unless_forced(tmp_path):
    target = tmp_path / "r.html"
    target.write_bytes(b"mine")
    with pytest.raises(OutputExistsError, match="--force"):
        write_output(target, "<p>new</p>")
    assert target.read_bytes() == b"mine"
    write_output(target, "<p>new</p>", force=True)
    assert target.read_text() == "<p>new</p>"
    write_output(tmp_path / "fresh.html", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.html", "r.html"]  # no temporary file left


def test_plot_labels_are_text_in_the_svg():
    from runs.report import figures

    svg = figures.effects([("<script>x</script>", [("<b>&", 0.9, 0.01), ("$a$", 0.8, None)])])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<b>" not in svg
    assert "$a$" in svg  # no mathtext: a dollar sign stays a dollar sign
