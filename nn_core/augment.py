"""Random shifts and small rotations of training images, vectorised over the batch and seeded.

Every transform the run can draw — each rotation angle on a grid of at most 1 degree and each
integer shift (dx, dy) — is turned once, when the Augmenter is made, into a table of source pixel
indices (nearest neighbour; pixels that come from outside the image get a sentinel index that lands
on a zero). Augmenting a batch is then three array operations for the whole batch: pick a table
row per image, add each image's offset in the batch, gather. No per-image Python loop, no PIL.
Tables: (2*shift+1)^2 * angles rows of side^2 int32 indices, e.g. 25 * 21 * 784 * 4 bytes = 1.6 MB
for shift 2, rotate 10. int32, not intp: the per-batch index arrays then take half the memory
traffic (a batch's flat size is far below 2^31), which is most of the augmentation's cost.
"""

from __future__ import annotations

import math

import numpy as np


SENTINEL = np.iinfo(np.int32).max // 2
"""Table entry of a pixel from outside the image: past any batch's flat size, so it clips to the trailing 0."""


def transform_tables(side: int, shift: int, rotate: float) -> np.ndarray:
    """(transforms, side*side) int32: for each output pixel the flat index of its source pixel, or
    SENTINEL (larger than any batch's flat size) for pixels that come from outside the image."""
    steps = math.ceil(rotate)
    angles = np.deg2rad(np.linspace(-rotate, rotate, 2 * steps + 1))
    shifts = np.arange(-shift, shift + 1)
    theta, dy, dx = (a.reshape(-1, 1, 1) for a in np.meshgrid(angles, shifts, shifts, indexing="ij"))
    centre = (side - 1) / 2
    rows, cols = np.mgrid[0:side, 0:side].astype(np.float64) - centre
    # Inverse map: the output pixel at (r, c) shows the input at R(-theta) (r - dy, c - dx).
    r0, c0 = rows - dy, cols - dx
    cos, sin = np.cos(theta), np.sin(theta)
    src_r = np.rint(cos * r0 + sin * c0 + centre).astype(np.intp)
    src_c = np.rint(-sin * r0 + cos * c0 + centre).astype(np.intp)
    inside = (src_r >= 0) & (src_r < side) & (src_c >= 0) & (src_c < side)
    return np.where(inside, src_r * side + src_c, SENTINEL).astype(np.int32).reshape(len(theta), side * side)


class Augmenter:
    """Draws one transform per image from `rng` and applies it to a batch.

    `apply(source, out)` reads `source`, a flat float array of n * side^2 pixels followed by one 0
    (the images of the batch, row after row), and writes the n transformed images into `out`
    (n, side^2). Validation and test images never pass through here.
    """

    def __init__(self, side: int, shift: int, rotate: float, rng: np.random.Generator) -> None:
        self.side = side
        self.shift, self.rotate = shift, rotate
        self.rng = rng
        self.tables = transform_tables(side, shift, rotate)
        self._index: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @classmethod
    def for_inputs(cls, input_size: int, shift: int, rotate: float, rng: np.random.Generator) -> "Augmenter":
        side = math.isqrt(input_size)
        if side * side != input_size:
            raise ValueError(f"augment: inputs of {input_size} values are not a square image")
        return cls(side, shift, rotate, rng)

    def apply(self, source: np.ndarray, out: np.ndarray) -> None:
        n = out.shape[0]
        pixels = self.side * self.side
        if source.shape != (n * pixels + 1,):
            raise ValueError(f"augment: source has shape {source.shape}, expected ({n * pixels + 1},)")
        if n * pixels + SENTINEL >= np.iinfo(np.int32).max:
            raise ValueError(f"augment: a batch of {n} images is too large for int32 indices")
        choice, index, offsets = self._buffers(n)
        choice[...] = self.rng.integers(0, len(self.tables), n)
        np.take(self.tables, choice, axis=0, out=index)
        index += offsets
        np.take(source, index, out=out, mode="clip")  # the sentinel clips to the trailing zero

    def _buffers(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if n not in self._index:
            pixels = self.side * self.side
            offsets = (np.arange(n, dtype=np.int32) * pixels)[:, None]
            self._index[n] = (np.empty(n, dtype=np.intp), np.empty((n, pixels), dtype=np.int32), offsets)
        return self._index[n]
