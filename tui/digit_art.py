"""Draws 28x28 grey images in a terminal with half-block characters (two pixel rows per line)."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text

UPPER_HALF = "\u2580"


def _grey(value: int) -> Color:
    return Color.from_rgb(value, value, value)


def digit_text(image: np.ndarray) -> Text:
    """Render a (28, 28) uint8 image as 14 lines: top pixel is the foreground, bottom the background."""
    pixels = np.asarray(image, dtype=np.uint8).reshape(28, 28)
    text = Text()
    for row in range(0, 28, 2):
        top, bottom = pixels[row], pixels[row + 1]
        for t, b in zip(top.tolist(), bottom.tolist()):
            text.append(UPPER_HALF, Style(color=_grey(t), bgcolor=_grey(b)))
        if row < 26:
            text.append("\n")
    return text


def digits_row(images: list[np.ndarray], captions: list[str], gap: int = 2) -> Text:
    """Several digits side by side with a caption line under each (for `predict` and the dashboard)."""
    rendered = [digit_text(img).split("\n") for img in images]
    out = Text()
    spacer = " " * gap
    for line in range(14):
        for i, lines in enumerate(rendered):
            if i:
                out.append(spacer)
            out.append_text(lines[line])
        out.append("\n")
    for i, caption in enumerate(captions):
        if i:
            out.append(spacer)
        out.append(caption[:28].ljust(28))
    return out
