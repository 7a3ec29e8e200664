"""First-layer weights as pictures: each hidden unit's 784 incoming weights as a 28x28 tile.

Diverging colours on the terminal's dark background: 0 is near black, negative weights turn
blue and positive ones red, full colour at ±scale. One scale serves every tile of a layer (the
99.5th percentile of |W|, so a few outliers do not wash the rest out), so tiles compare, and it
is stated next to them. Tiles use half-block characters: two pixel rows per character cell.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text

UPPER_HALF = "\u2580"
ZERO = np.array([18.0, 18.0, 18.0])
NEGATIVE = np.array([70.0, 130.0, 255.0])
POSITIVE = np.array([255.0, 70.0, 50.0])
SCALE_PERCENTILE = 99.5


def weight_scale(weights: np.ndarray) -> float:
    """The ±value shown at full colour for a layer's weights."""
    values = np.abs(np.asarray(weights, dtype=np.float64))
    values = values[np.isfinite(values)]
    top = float(np.percentile(values, SCALE_PERCENTILE)) if values.size else 0.0
    return top if top > 0 else 1.0


def diverging_rgb(values: np.ndarray, scale: float) -> np.ndarray:
    """(..., 3) uint8 colours of `values`: blue below 0, red above, near black at 0."""
    t = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64) / scale), -1.0, 1.0)[..., None]
    strength = np.abs(t) ** 0.7  # lift small weights a little so structure shows
    colour = np.where(t < 0, NEGATIVE, POSITIVE)
    return np.round(ZERO + (colour - ZERO) * strength).astype(np.uint8)


def pooled(tile: np.ndarray, factor: int) -> np.ndarray:
    """Average `factor` x `factor` blocks of a square tile (28 -> 14 for 2, 7 for 4)."""
    side = tile.shape[0] // factor * factor
    t = tile[:side, :side]
    return t.reshape(side // factor, factor, side // factor, factor).mean(axis=(1, 3))


def tile_lines(tile: np.ndarray, scale: float) -> list[Text]:
    """A 2-D tile as half-block lines (an odd last row gets an empty lower half)."""
    rgb = diverging_rgb(tile, scale)
    lines = []
    for row in range(0, rgb.shape[0], 2):
        line = Text()
        for col in range(rgb.shape[1]):
            top = Color.from_rgb(*rgb[row, col])
            bottom = Color.from_rgb(*rgb[row + 1, col]) if row + 1 < rgb.shape[0] else None
            line.append(UPPER_HALF, Style(color=top, bgcolor=bottom))
        lines.append(line)
    return lines


def unit_tiles(first_layer: np.ndarray) -> np.ndarray:
    """(units, 28, 28) tiles of a (784, units) first-layer weight matrix."""
    weights = np.asarray(first_layer)
    return weights.T.reshape(weights.shape[1], 28, 28)


def tile_grid(tiles: np.ndarray, scale: float, columns: int, factor: int = 4, picked: int | None = None,
              margin: int = 0) -> Text:
    """Tiles without `margin` pixels at each edge, pooled by `factor`, `columns` to a row, one space apart,
    numbered from 1; the picked one's number reversed."""
    side = tiles.shape[1] if len(tiles) else 0
    small = [pooled(t[margin:side - margin, margin:side - margin], factor) for t in tiles]
    side = small[0].shape[1] if small else 0
    out = Text()
    for start in range(0, len(small), columns):
        chunk = range(start, min(start + columns, len(small)))
        blocks = {i: tile_lines(small[i], scale) for i in chunk}
        for line in range(len(next(iter(blocks.values())))):
            for i in chunk:
                out.append_text(blocks[i][line])
                out.append(" ")
            out.append("\n")
        for i in chunk:  # a caption line: unit numbers, the picked one marked
            label = f"{i + 1}"
            style = "bold reverse" if i == picked else "dim"
            out.append(label.center(side)[:side], style=style)
            out.append(" ")
        out.append("\n")
    out.rstrip()
    return out


def scale_legend(scale: float) -> Text:
    """``−0.31 ███▓▒░ 0 ░▒▓███ +0.31`` in the tiles' colours."""
    text = Text(f"−{scale:.3g} ")
    for v in np.linspace(-1, 1, 13):
        text.append("█", Style(color=Color.from_rgb(*diverging_rgb(np.array(v), 1.0))))
    text.append(f" +{scale:.3g}")
    return text
