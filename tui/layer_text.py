"""Layer statistics as text: the per-layer table and weight histograms (now against the initial weights).

Shared by `mnist-tui runs inside` and the Inside tab. Values come from the store, already
checked as numbers (runs.layer_rows); a missing one shows as '-'.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from runs.layer_health import layer_name

BARS = " ▁▂▃▄▅▆▇█"


def _num(value: Any, fmt: str = ".3g") -> str:
    return "-" if value is None else format(value, fmt)


def _share(row: dict[str, Any]) -> str:
    if row.get("dead") is not None:
        return f"{row['dead']:.0%} dead"
    if row.get("saturated") is not None:
        return f"{row['saturated']:.0%} sat."
    return "-"


def layer_table(layers: list[dict[str, Any]], sizes: list[int] | tuple[int, ...], title: str = "") -> Table:
    """One row per layer: shape, |W|, mean |grad|, update/weight per step, activation mean ± sd, dead or saturated."""
    table = Table(title=title or None, title_justify="left")
    for name in ("layer", "shape", "|W|", "|grad|", "update/W", "act mean±sd", "units"):
        table.add_column(name, justify="left" if name in ("layer", "shape") else "right")
    for row in layers:
        i = row["layer"]
        shape = f"{sizes[i - 1]}x{sizes[i]}" if i < len(sizes) else "?"
        table.add_row(layer_name(i, len(layers)), shape, _num(row.get("weight_norm")), _num(row.get("grad_norm")),
                      _num(row.get("update_ratio"), ".1e"),
                      f"{_num(row.get('act_mean'), '.2f')}±{_num(row.get('act_sd'), '.2f')}", _share(row))
    return table


def bars(counts: list[int], top: int) -> str:
    """Counts as block characters scaled to `top` (a shared maximum, so two rows compare)."""
    top = max(top, 1)
    return "".join(BARS[min(len(BARS) - 1, round(c / top * (len(BARS) - 1)))] if c else " " for c in counts)


def histogram_text(row: dict[str, Any], count: int) -> Text:
    """Three lines: the layer and its range, then the current and the initial weights' histograms."""
    hist = row["hist"]
    top = max(max(hist["now"]), max(hist["init"]))
    text = Text(f"{layer_name(row['layer'], count)}  {hist['lo']:.3g} … {hist['hi']:.3g}\n", style="bold")
    text.append("now  ", style="dim")
    text.append(bars(hist["now"], top), style="red")
    text.append("\ninit ", style="dim")
    text.append(bars(hist["init"], top), style="blue")
    return text
