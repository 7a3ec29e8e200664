"""History's `p`: the report of the marked runs (or the one under the cursor), never over a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from runs.store import RunStore

from tui_history_helpers import PanesApp, fixed_store, scenario, settle

SIZE = (120, 36)


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    with fixed_store(tmp_path / "runs.sqlite3") as store:
        yield store


@scenario
async def test_p_writes_the_report_of_the_marked_runs(store: RunStore, tmp_path: Path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "mnist-tui-report-1-2.html").write_bytes(b"keep me")
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")  # nothing marked: the run under the cursor (the newest, 3)
        await settle(pilot)
        assert "<h2>Run 3 · " in (work / "mnist-tui-report-3.html").read_text(encoding="utf-8")
        await pilot.press("down", "space", "space", "p")  # marks runs 2 and 1
        await settle(pilot)
    page = (work / "mnist-tui-report-1-2-2.html").read_text(encoding="utf-8")
    assert "<h2>Comparison</h2>" in page and 'id="run-1"' in page and 'id="run-2"' in page
    assert 'id="run-3"' not in page and page.count("<svg") == 1 + 2 * 2  # fixed runs have no model file
    assert (work / "mnist-tui-report-1-2.html").read_bytes() == b"keep me"
