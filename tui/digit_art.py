"""Draws 28x28 grey images in a terminal: half-block characters in grey colours (two pixel rows
per line), or, where there is no colour (a file, a pipe, `less`), a character ramp from blank to
`@`, so the digit stays readable in plain text."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text

UPPER_HALF = "\u2580"
RAMP = " .:-=+*#%@"
"""Darkest to brightest; a line averages two pixel rows, like the half blocks."""


def _grey(value: int) -> Color:
    return Color.from_rgb(value, value, value)


def digit_text(image: np.ndarray, *, colour: bool = True) -> Text:
    """Render a (28, 28) uint8 image as 14 lines: top pixel is the foreground, bottom the background
    (with `colour`), else one ramp character per pair of pixels."""
    pixels = np.asarray(image, dtype=np.uint8).reshape(28, 28)
    if not colour:
        pairs = pixels.reshape(14, 2, 28).astype(np.uint16).sum(axis=1)  # 0..510
        steps = (pairs * len(RAMP)) // 511
        return Text("\n".join("".join(RAMP[s] for s in row) for row in steps.tolist()))
    text = Text()
    for row in range(0, 28, 2):
        top, bottom = pixels[row], pixels[row + 1]
        for t, b in zip(top.tolist(), bottom.tolist()):
            text.append(UPPER_HALF, Style(color=_grey(t), bgcolor=_grey(b)))
        if row < 26:
            text.append("\n")
    return text


def digits_row(images: list[np.ndarray], captions: list[str], gap: int = 2, *, colour: bool = True) -> Text:
    """Several digits side by side with a caption line under each (for `predict` and the dashboard)."""
    rendered = [digit_text(img, colour=colour).split("\n") for img in images]
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
