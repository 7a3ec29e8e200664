"""Random shifts and small rotations of training images, vectorised over the batch and seeded.

A transform is one rigid motion of the image: a rotation by theta about the image centre, then an
integer shift (dx, dy), nearest neighbour, cropped once to the frame (pixels from outside it are
0): the output pixel p shows the input at rint(R(-theta) p) - (dy, dx). A shift is so a plain
translation of the rotation's source map, and all (2*shift+1)^2 * angles tables (angles on a grid
of at most 1 degree) are built from one rotation table per angle with integer arithmetic (0.5 ms
for shift 2, rotate 10). Each image gets a transform drawn uniformly, fresh every epoch
(`new_epoch`), from the Augmenter's own generator.

Augmenting a batch is three array operations for the whole batch, no per-image Python loop, no
PIL: pick each image's table row, add each image's offset in the batch, gather. The gather reads
a source laid out as [1, the images, 0] in clip mode, so pixels from outside the image (index
SENTINEL, past the end) read the 0 and the extra last column (index -SENTINEL, before the start)
reads the 1: one gather writes the model's whole [x, 1] input row (nn_core.model), no copy after.
Tables are int32, not intp: (2*shift+1)^2 * angles rows of side^2 + 1 entries, 1.6 MB for shift 2,
rotate 10; the per-batch index then takes half the memory traffic (the gather's own conversion to
intp costs less than that), which is most of the augmentation's cost.
"""

from __future__ import annotations

import math

import numpy as np

SENTINEL = np.iinfo(np.int32).max // 2
"""Table entry of a pixel from outside the image: past any batch's flat size, so it clips to the trailing 0."""


def _rotation_sources(side: int, rotate: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols), each (angles, side*side) int32: rint(R(-theta) p) for every output pixel p,
    the angles evenly spaced from -rotate to rotate at most 1 degree apart (just 0 for rotate 0)."""
    steps = math.ceil(rotate)
    theta = np.deg2rad(np.linspace(-rotate, rotate, 2 * steps + 1)).reshape(-1, 1, 1)
    centre = (side - 1) / 2
    rows, cols = np.mgrid[0:side, 0:side].astype(np.float64) - centre
    cos, sin = np.cos(theta), np.sin(theta)
    src_r = np.rint(cos * rows + sin * cols + centre).astype(np.int32)
    src_c = np.rint(-sin * rows + cos * cols + centre).astype(np.int32)
    return src_r.reshape(len(theta), -1), src_c.reshape(len(theta), -1)


def transform_tables(side: int, shift: int, rotate: float) -> np.ndarray:
    """(transforms, side*side) int32: for each output pixel the flat index of its source pixel, or
    SENTINEL for one from outside the image. Rows ordered by angle, then dy, then dx."""
    src_r, src_c = _rotation_sources(side, rotate)
    shifts = np.arange(-shift, shift + 1, dtype=np.int32)[:, None]
    r = src_r[:, None, :] - shifts  # (angles, dy, pixels)
    c = src_c[:, None, :] - shifts  # (angles, dx, pixels)
    r_in = (r >= 0) & (r < side)
    c_in = (c >= 0) & (c < side)
    flat = (r * side)[:, :, None, :] + c[:, None, :, :]
    inside = r_in[:, :, None, :] & c_in[:, None, :, :]
    return np.where(inside, flat, np.int32(SENTINEL)).reshape(-1, side * side)


class Augmenter:
    """Draws one transform per training image and epoch from `rng` and applies them batch by batch.

    `new_epoch(n)` draws the transforms of the epoch's n images, in the order they are trained.
    `apply(source, start, out)` transforms the epoch's images start .. start+m-1: `source` is a flat
    float array laid out as [1, the m images row after row, 0], `out` (m, side*side + 1) receives
    the transformed images with a last column of ones (the bias input of nn_core.model's [x, 1]
    layout). Validation and test images never pass through here.
    """

    def __init__(self, side: int, shift: int, rotate: float, rng: np.random.Generator) -> None:
        self.side = side
        self.shift, self.rotate = shift, rotate
        self.rng = rng
        tables = transform_tables(side, shift, rotate)
        self.tables = np.empty((len(tables), side * side + 1), dtype=np.int32)
        np.add(tables, 1, out=self.tables[:, :-1])  # the source starts with the 1 (SENTINEL + 1 still clips to 0)
        self.tables[:, -1] = -SENTINEL
        self._choice = np.zeros(0, dtype=np.intp)
        self._index: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def for_inputs(cls, input_size: int, shift: int, rotate: float, rng: np.random.Generator) -> "Augmenter":
        side = math.isqrt(input_size)
        if side * side != input_size:
            raise ValueError(f"augment: inputs of {input_size} values are not a square image")
        return cls(side, shift, rotate, rng)

    def new_epoch(self, n: int) -> None:
        """Draw the transforms of the next epoch's n images (one call to the generator per epoch)."""
        self._choice = self.rng.integers(0, len(self.tables), n)

    def apply(self, source: np.ndarray, start: int, out: np.ndarray) -> None:
        m = out.shape[0]
        pixels = self.side * self.side
        if source.shape != (m * pixels + 2,) or out.shape != (m, pixels + 1):
            raise ValueError(f"augment: source {source.shape} and out {out.shape}, "
                             f"expected ({m * pixels + 2},) and ({m}, {pixels + 1})")
        if m * pixels + SENTINEL + 1 >= np.iinfo(np.int32).max:
            raise ValueError(f"augment: a batch of {m} images is too large for int32 indices")
        if start < 0 or start + m > len(self._choice):
            raise ValueError(f"augment: images {start}..{start + m - 1} of an epoch of {len(self._choice)} drawn")
        index, offsets = self._buffers(m)
        np.take(self.tables, self._choice[start:start + m], axis=0, out=index)
        index += offsets
        np.take(source, index, out=out, mode="clip")

    def _buffers(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        if m not in self._index:
            pixels = self.side * self.side
            offsets = (np.arange(m, dtype=np.int32) * pixels)[:, None]
            self._index[m] = (np.empty((m, pixels + 1), dtype=np.int32), offsets)
        return self._index[m]
