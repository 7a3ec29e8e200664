"""Warnings with advice from a run's layer statistics: which layer has most units dead or saturated, and what to try.

Shared by the Inside tab and `mnist-tui runs inside`, so both name the same layers in the same words.
"""

from __future__ import annotations

from typing import Any

MOSTLY = 0.5
"""A layer with at least this share of its units dead or saturated is named."""
HUGE_STEP = 0.1
"""An update-to-weight ratio above this per step means the steps are far too large (healthy: about 1e-3)."""


def layer_name(index: int, count: int) -> str:
    """``hidden layer 2`` or ``output layer`` (index is 1-based, count the number of layers)."""
    return "output layer" if index == count else f"hidden layer {index}"


def warnings(layers: list[dict[str, Any]], config: dict[str, Any]) -> list[str]:
    """One sentence per problem in the epoch's `layers`, each naming the layer and giving advice."""
    train = config.get("train", {}) if isinstance(config, dict) else {}
    model = config.get("model", {}) if isinstance(config, dict) else {}
    lr = train.get("learning_rate")
    activation = model.get("activation", "relu")
    lower = f"lower the learning rate (now {lr:g})" if isinstance(lr, (int, float)) else "lower the learning rate"
    out = []
    for row in layers:
        name = layer_name(row["layer"], len(layers))
        if row.get("dead") is not None and row["dead"] >= MOSTLY:
            out.append(f"{name}: {row['dead']:.0%} of its units are dead (ReLU never active on the probe images), "
                       f"so they no longer learn. Try: {lower}, or tanh instead of relu.")
        if row.get("saturated") is not None and row["saturated"] >= MOSTLY:
            out.append(f"{name}: {row['saturated']:.0%} of its units are saturated ({activation} stuck in its flat "
                       f"tails), so their gradients vanish. Try: {lower}, or xavier init, or relu.")
        if row.get("update_ratio") is not None and row["update_ratio"] > HUGE_STEP:
            out.append(f"{name}: each step changes its weights by {row['update_ratio']:.0%} (healthy: about 0.1%). "
                       f"Try: {lower}.")
    return out
