"""Ten probability bars, one per class, the most probable in bold green (predict --image and the Inside tab's canvas)."""

from __future__ import annotations

import numpy as np
from rich.text import Text


def probability_bars(probabilities: np.ndarray, names: tuple[str, ...], width: int = 30) -> Text:
    """One line per class: name, a bar of `width` cells, the percentage."""
    best = int(np.argmax(probabilities))
    label = max(len(n) for n in names[: len(probabilities)])
    label = min(label, 12)
    text = Text()
    for k, p in enumerate(probabilities.tolist()):
        filled = round(p * width)
        style = "bold green" if k == best else ""
        text.append(f"{names[k][:label]:>{label}} ", style=style)
        text.append("█" * filled, style="green" if k == best else "blue")
        text.append("·" * (width - filled), style="dim")
        text.append(f" {100 * p:5.1f}%", style=style)
        if k < len(probabilities) - 1:
            text.append("\n")
    return text
