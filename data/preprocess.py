"""Any picture of one digit made to look like an MNIST digit, as LeCun et al. made theirs.

MNIST's digits were scaled so their bounding box fits 20x20 pixels keeping the aspect ratio
(anti-aliased, hence grey levels), then placed in 28x28 so that their centre of mass sits at
the centre (pixel 14, 14 counting from 0: the mean over the test set is 13.99, 14.00). A model
trained on MNIST is only right about drawings and photos that went through the same steps.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

SIZE, BOX, CENTRE = 28, 20, 14.0
INK_THRESHOLD = 0.1
"""Pixels fainter than this share of the darkest ink do not count towards the bounding box (specks, paper grain)."""


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass; pixel (r, c) sits at (r, c)."""
    total = image.sum()
    rows, cols = np.arange(image.shape[0]), np.arange(image.shape[1])
    return float(image.sum(axis=1) @ rows / total), float(image.sum(axis=0) @ cols / total)


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area averaging when shrinking, bilinear when enlarging (both keep grey levels in range)."""
    shrinking = height < image.shape[0] or width < image.shape[1]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32), mode="F")
    return np.asarray(picture.resize((width, height), method), dtype=np.float64)


def mnist_style(ink: np.ndarray) -> np.ndarray:
    """A (28, 28) uint8 MNIST-like image of `ink` (2-D, larger = more ink, any scale); all zeros if there is no ink."""
    ink = np.nan_to_num(np.asarray(ink, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if ink.ndim != 2 or ink.size == 0:
        raise ValueError(f"ink: expected a 2-D image, got shape {ink.shape}")
    ink = np.clip(ink, 0.0, None)
    out = np.zeros((SIZE, SIZE), dtype=np.uint8)
    top = ink.max()
    if top <= 0:
        return out
    ink = ink / top
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = BOX / max(crop.shape)
    height, width = (max(1, min(BOX, round(side * scale))) for side in crop.shape)
    box = np.clip(_resize(crop, height, width), 0.0, None)
    if box.max() <= 0:
        return out
    box /= box.max()
    cy, cx = centre_of_mass(box)
    top_row = int(np.clip(round(CENTRE - cy), 0, SIZE - height))
    left = int(np.clip(round(CENTRE - cx), 0, SIZE - width))
    out[top_row:top_row + height, left:left + width] = np.round(box * 255).astype(np.uint8)
    return out
