"""A run's per-epoch history as CSV or JSON text, for `mnist-tui runs export` and the dashboard.

The CSV has one row per epoch with a header naming each metric, like the per-epoch
accuracy/loss files the original program wrote; an absent split leaves its cells empty.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from runs.schema import EPOCH_COLUMNS
from runs.store import RunRecord

FORMATS = ("csv", "json")


def history_csv(run: RunRecord) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EPOCH_COLUMNS)
    for epoch in run.epochs:
        writer.writerow(["" if epoch.get(c) is None else epoch[c] for c in EPOCH_COLUMNS])
    return out.getvalue()


def run_json(run: RunRecord) -> str:
    """The whole run (config, dataset, status, epochs, final metrics, confusion matrix) as indented JSON."""
    record = asdict(run)
    return json.dumps(record, indent=2) + "\n"


def export_text(run: RunRecord, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format: got {fmt!r}, expected one of {', '.join(FORMATS)}")
    return history_csv(run) if fmt == "csv" else run_json(run)
