"""The report of one or more runs: per run its settings, data, epochs, curves, confusion matrix and
mistakes; for several runs first the settings that differ and the overlaid curves.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from runs.report import figures
from runs.report.html import Html, esc, facts, figure, join, page, table, tag
from runs.report.mistakes import TestSets, confident_mistakes
from runs.store import RunRecord

MISSING = "—"


def percent(value: Any) -> str:
    return MISSING if not isinstance(value, (int, float)) else f"{100 * value:.2f}%"


def number(value: Any, digits: int = 4) -> str:
    return MISSING if not isinstance(value, (int, float)) else f"{value:.{digits}f}"


def mapping(value: Any) -> dict[str, Any]:
    """A stored JSON object, or {} when the store holds something else there (stored data is untrusted)."""
    return value if isinstance(value, dict) else {}


def flat_config(config: Any) -> dict[str, Any]:
    """`section.field` -> value, as the comparison in the terminal names them."""
    flat: dict[str, Any] = {}
    for section, values in mapping(config).items():
        if isinstance(values, dict):
            flat.update({f"{section}.{k}": v for k, v in values.items()})
        else:
            flat[str(section)] = values
    return flat


def show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def architecture(config: Any) -> str:
    model = mapping(mapping(config).get("model"))
    hidden = model.get("hidden_sizes") or []
    hidden = hidden if isinstance(hidden, list) else [hidden]
    sizes = [model.get("input_size", 784), *hidden, model.get("num_classes", 10)]
    label = "-".join(map(str, sizes))
    return f"{label} {model.get('activation', '?')}" if hidden else label


def class_names(run: RunRecord) -> list[str]:
    from data.registry import DATASETS

    spec = DATASETS.get(str(mapping(run.dataset).get("name", "")))
    return list(spec.class_names) if spec else [str(i) for i in range(10)]


def status_badge(status: str) -> Html:
    return tag("span", status, class_=f"status {status}")


def best_val_epoch(run: RunRecord) -> dict[str, Any] | None:
    """The epoch with the best validation accuracy; None without a validation split (never chosen on test)."""
    scored = [e for e in run.epochs if isinstance(e.get("val_acc"), (int, float))]
    return max(scored, key=lambda e: e["val_acc"]) if scored else None


def _test_acc(run: RunRecord) -> Any:
    final = mapping(run.final)
    return final.get("test_acc", final.get("accuracy"))


# --------------------------------------------------------------------- one run
def run_section(run: RunRecord, models_dir: Path, test_sets: TestSets) -> Html:
    best = best_val_epoch(run)
    seconds = sum(e.get("seconds") or 0.0 for e in run.epochs)
    planned = mapping(mapping(run.config).get("train")).get("epochs", "?")
    title = tag("h2", join([f"Run {run.id} · {architecture(run.config)} · ", status_badge(run.status)]))
    parts = [title]
    if getattr(run, "damaged", False):  # the store read it, but parts of it are not what a run writes
        parts.append(tag("p", f"{run.describe_damage()}; nothing more of it is shown.", class_="message"))
        return tag("section", join(parts), class_="run", id=f"run-{run.id}")
    if run.message:
        parts.append(tag("p", run.message, class_="message"))
    parts.append(facts([
        ("test accuracy", percent(_test_acc(run))),
        ("best validation", f"{percent(best['val_acc'])} @ {best.get('epoch')}" if best else "no validation split"),
        ("epochs", f"{len(run.epochs)} / {planned}"),
        ("training time", f"{seconds:.1f} s"),
        ("started (UTC)", str(run.started_at)[:19].replace("T", " ")),
    ]))
    parts.append(tag("div", _settings(run) + _provenance(run), class_="two"))
    parts.append(tag("h3", "Learning curves"))
    if run.epochs:
        parts.append(figure(figures.curves(run.epochs), "Loss and accuracy after each epoch "
                            "(train blue, validation orange, test green)."))
        parts.append(_epoch_table(run))
    else:
        parts.append(tag("p", "No epoch finished.", class_="note"))
    parts.append(_confusion(run))
    parts.append(_mistakes(run, models_dir, test_sets))
    return tag("section", join(parts), class_="run", id=f"run-{run.id}")


def _settings(run: RunRecord) -> Html:
    rows = [(name, show(value)) for name, value in flat_config(run.config).items()]
    return tag("div", tag("h3", "Settings") + table(["setting", "value"], rows, class_="settings"))


def _provenance(run: RunRecord) -> Html:
    ds = mapping(run.dataset)
    source = mapping(ds.get("source"))
    rows = [
        ("dataset", ds.get("name", MISSING)),
        ("source", " ".join(str(source.get(k, "")) for k in ("kind", "path")).strip() or MISSING),
        ("train / val / test", " / ".join(f"{ds.get(k, '?')}" for k in ("train_size", "val_size", "test_size"))),
        ("seed", run.seed),
    ]
    checksums = mapping(ds.get("checksums"))
    sums = table(["file", "sha256"], [(name, tag("span", digest, class_="mono digest")) for name, digest in sorted(checksums.items())],
                 class_="settings") if checksums else Html("")
    return tag("div", tag("h3", "Data") + table(None, rows, class_="settings wrap") + sums)


def _epoch_table(run: RunRecord) -> Html:
    best = best_val_epoch(run)
    headers = ["epoch", "train loss", "train acc", "val loss", "val acc", "test loss", "test acc", "lr", "seconds"]
    rows = [(e.get("epoch"), number(e.get("train_loss")), percent(e.get("train_acc")), number(e.get("val_loss")),
             percent(e.get("val_acc")), number(e.get("test_loss")), percent(e.get("test_acc")),
             MISSING if e.get("lr") is None else f"{e['lr']:.4g}", number(e.get("seconds"), 2))
            for e in run.epochs]
    marks = ["best" if e is best else None for e in run.epochs]
    return table(headers, rows, row_classes=marks) + (tag(
        "p", "The highlighted epoch has the best validation accuracy.", class_="note") if best else Html(""))


def _confusion(run: RunRecord) -> Html:
    head = tag("h3", "Confusion matrix (test set)")
    if not run.confusion:
        return head + tag("p", "No confusion matrix: the run did not finish.", class_="note")
    final = mapping(run.final)
    names = class_names(run)
    if not usable_confusion(run.confusion, len(names)):
        return head + tag("p", f"The stored confusion matrix is not a {len(names)}x{len(names)} table of counts; "
                               "not drawn.", class_="note")
    svg = figure(figures.confusion(run.confusion, names),
                 "Rows: true class; columns: predicted. Shade: share of the true class; red numbers are mistakes.")
    recall, precision = final.get("recall"), final.get("precision")
    per_class = Html("")
    if isinstance(recall, list) and isinstance(precision, list):
        rows = [(f"{i} {n}" if n != str(i) else n, percent(r), percent(p))
                for i, (n, r, p) in enumerate(zip(names, recall, precision))]
        per_class = table(["class", "recall", "precision"], rows)
    return head + tag("div", svg + per_class, class_="two")


def usable_confusion(matrix: Any, classes: int) -> bool:
    """A classes x classes list of non-negative whole numbers (checked before any drawing is spent on it)."""
    return (isinstance(matrix, list) and len(matrix) == classes
            and all(isinstance(row, list) and len(row) == classes for row in matrix)
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for row in matrix for v in row))


def _mistakes(run: RunRecord, models_dir: Path, test_sets: TestSets) -> Html:
    head = tag("h3", "Most confident mistakes")
    found = confident_mistakes(run, models_dir, test_sets)
    if isinstance(found, str):
        return head + tag("p", f"Not shown: {found}.", class_="note")
    if not found:
        return head + tag("p", "Every test image is classified correctly.", class_="note")
    names = class_names(run)
    captions = [f"#{m.index} · {100 * m.probability:.0f}%\n{names[m.true]} → {names[m.predicted]}" for m in found]
    return head + figure(figures.digits([m.image for m in found], captions),
                         "Test images the model got wrong with the highest confidence: "
                         "test index and the probability of the wrong class, then true → predicted class.")


# ----------------------------------------------------------------- several runs
def comparison_section(runs: Sequence[RunRecord]) -> Html:
    flats = [flat_config(r.config) for r in runs]
    fields = list(dict.fromkeys(name for flat in flats for name in flat))
    differing = [(name, [show(flat[name]) if name in flat else MISSING for flat in flats]) for name in fields
                 if len({repr(flat.get(name, MISSING)) for flat in flats}) > 1]
    parts = [tag("h2", "Comparison")]
    summary_rows = [(f"run {r.id}", mapping(r.dataset).get("name", MISSING), architecture(r.config), status_badge(r.status),
                     len(r.epochs), percent((best_val_epoch(r) or {}).get("val_acc")), percent(_test_acc(r)))
                    for r in runs]
    scores = [(best_val_epoch(r) or {}).get("val_acc") for r in runs]
    top = max((s for s in scores if isinstance(s, (int, float))), default=None)
    marks = ["best" if top is not None and s == top else None for s in scores]
    parts.append(table(["run", "dataset", "network", "status", "epochs", "best validation", "test accuracy"],
                       summary_rows, row_classes=marks))
    parts.append(tag("p", "The highlighted run has the best validation accuracy (test accuracy is reported, "
                          "never used to choose).", class_="note"))
    parts.append(tag("h3", "Settings that differ"))
    if differing:
        parts.append(table(["setting", *(f"run {r.id}" for r in runs)], [(n, *v) for n, v in differing],
                           class_="settings"))
    else:
        parts.append(tag("p", "All settings are identical (the runs differ only by chance).", class_="note"))
    with_epochs = [(f"run {r.id}", r.epochs) for r in runs if r.epochs]
    if with_epochs:
        parts.append(figure(figures.overlaid_curves(with_epochs), "Each run's curves on the same axes."))
    return join(parts)


def runs_report(runs: Sequence[RunRecord], models_dir: Path, data_dir: str | None = None) -> str:
    """The whole page for `runs` (one or more, in the order given); `data_dir` as `--data-dir`."""
    ids = ", ".join(str(r.id) for r in runs)
    title = f"mnist-tui report: run{'s' if len(runs) > 1 else ''} {ids}"
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [comparison_section(runs)] if len(runs) > 1 else []
    test_sets = TestSets(data_dir)
    body += [run_section(r, models_dir, test_sets) for r in runs]
    body.append(tag("footer", f"Written by mnist-tui on {generated}. Self-contained: every plot is inline."))
    return page(title, f"{len(runs)} run{'s' if len(runs) > 1 else ''} · generated {generated}", join(body))
