"""`mnist-tui study run --dask`: a LocalCluster gives the local pool's table; bad clusters fail clearly."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from cli_helpers import cli, env_for, json_lines

SPEC = ("--limit", "500", "--val-size", "500", "--epochs", "2", "--vary", "hidden-layers=0,1", "--seeds", "2")


def _studies(home: Path) -> list:
    result = cli(home, "study", "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _table(home: Path) -> dict:
    """`study show 1 --json` without what differs between two runs of the same trials (time, run ids)."""
    result = cli(home, "study", "show", "1", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("seconds_per_epoch", "run_ids", "study")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip({k: shown[k] for k in ("leaderboard", "winner", "effects", "counts")})


def test_dask_local_cluster_gives_the_same_table_as_the_local_pool(tmp_path: Path):
    pool = cli(tmp_path / "pool", "study", "run", *SPEC)
    on_dask = cli(tmp_path / "dask", "study", "run", *SPEC, "--dask", "local:2", "--json")
    assert pool.returncode == 0, pool.stderr
    assert on_dask.returncode == 0, on_dask.stderr
    events = json_lines(on_dask.stdout)
    assert events[0]["event"] == "study" and events[0]["workers"] == 2
    assert [e["event"] for e in events].count("epoch") == 8  # 4 trials x 2 epochs, each streamed live
    table = _table(tmp_path / "pool")
    assert table["counts"].get("completed") == 4 and len(table["leaderboard"]) == 2
    assert _table(tmp_path / "dask") == table


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_fails_naming_it_and_records_nothing(tmp_path: Path):
    address = f"tcp://127.0.0.1:{_free_port()}"
    result = cli(tmp_path, "study", "run", *SPEC, "--dask", address)
    assert result.returncode == 1, result
    assert f"cannot reach the Dask scheduler at {address}" in result.stderr
    assert "Traceback" not in result.stderr
    assert _studies(tmp_path) == []


def test_a_bad_dask_value_is_a_usage_error_naming_it(tmp_path: Path):
    result = cli(tmp_path, "study", "run", *SPEC, "--dask", "local:none")
    assert result.returncode == 2, result
    assert "--dask 'local:none'" in result.stderr and "local:N" in result.stderr
    assert _studies(tmp_path) == []


def test_without_dask_installed_dask_says_how_to_install_it(tmp_path: Path):
    code = (
        "import sys; sys.modules['distributed'] = None  # as if dask[distributed] were not installed\n"
        "from tui.cli import main\n"
        f"sys.exit(main({['study', 'run', *SPEC, '--dask', 'local:2']!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env_for(tmp_path), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2, result
    assert "pip install -e '.[dask]'" in result.stderr and "Traceback" not in result.stderr
    assert _studies(tmp_path) == []
