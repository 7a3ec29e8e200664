"""`mnist-tui study report`: leaderboard, effects, parallel coordinates and the winner's run, on one page."""

from __future__ import annotations

import re

import pytest

from cli_helpers import cli
from runs.store import RunStore
from runs.study_results import summarize
from runs.study_store import get_study, study_runs


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A real 2 x 2 study (lr x optimizer), 2 seeds each, with markup in its name."""
    home = tmp_path_factory.mktemp("study-report-home")
    result = cli(home, "study", "run", "--limit", "500", "--val-size", "500", "--epochs", "1", "--vary",
                 "lr=0.03,0.1", "--vary", "optimizer=sgd,momentum", "--seeds", "2", "--workers", "1",
                 "--name", "<i>lr</i> & optimizer", timeout=300)
    assert result.returncode == 0, result.stderr
    return home


def test_study_report_has_leaderboard_effects_and_parallel_coordinates(home, tmp_path):
    target = tmp_path / "study.html"
    result = cli(home, "study", "report", "1", "-o", str(target))
    assert result.returncode == 0, result.stderr
    page = target.read_text(encoding="utf-8")
    for heading in ("Leaderboard", "Marginal effects", "Parallel coordinates"):
        assert f"<h2>{heading}</h2>" in page
    # effects + parallel coordinates + the winner's run (curves, confusion, mistakes)
    assert page.count("<svg") == 5
    board = page[page.index("<h2>Leaderboard</h2>"):page.index("<h2>Marginal effects</h2>")]
    assert len(re.findall(r"<tr(?: class=\"best\")?><td>\d", board)) == 4
    with RunStore.open(home) as store:
        study = get_study(store, 1)
        results = summarize(study, study_runs(store, 1))
    winner = results.winner
    best_row = re.search(r'<tr class="best">(.*?)</tr>', board).group(1)
    assert f"{100 * winner.val.mean:.2f}" in best_row and "★" in best_row
    assert f'id="run-{winner.run_ids[0]}"' in page
    assert "&lt;i&gt;lr&lt;/i&gt; &amp; optimizer" in page and "<i>lr</i>" not in page


def test_study_report_refuses_to_overwrite_and_unknown_ids(home, tmp_path):
    target = tmp_path / "study.html"
    target.write_bytes(b"mine")
    result = cli(home, "study", "report", "1", "-o", str(target))
    assert result.returncode == 2 and "--force" in result.stderr and target.read_bytes() == b"mine"
    result = cli(home, "study", "report", "9", "-o", str(tmp_path / "x.html"))
    assert result.returncode == 2 and "unknown study id 9" in result.stderr
    assert not (tmp_path / "x.html").exists()
