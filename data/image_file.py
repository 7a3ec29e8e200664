"""Reads a picture of a digit (PNG or PGM) as ink: a 2-D float array, 1 where the ink is darkest, 0 for paper.

Pictures come from anywhere: a drawing on screen (light ink on a dark or transparent background,
like MNIST) or a scan or photo of paper (dark ink on a light background). The ink is found as
follows: where the picture has transparency, the opaque parts are the ink; otherwise the
brightness of its border (mostly paper) says which way round it is, and the paper's level is
subtracted. Colour pictures count by their luminance.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

FORMATS = {"PNG": "PNG", "PPM": "PGM"}  # Pillow names PGM files "PPM"
MAX_SIDE = 8192
MAX_PIXELS = 16_000_000


class ImageFileError(ValueError):
    """The file cannot be used as a digit picture; str() names the file and what was expected."""


def _open(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(path)
    except FileNotFoundError:
        raise ImageFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageFileError(f"{path}: is a folder, expected a PNG or PGM file") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageFileError(f"{path}: far too many pixels, expected at most {MAX_SIDE} a side "
                             f"and {MAX_PIXELS:,} in all") from None
    except UnidentifiedImageError:
        raise ImageFileError(f"{path}: not a PNG or PGM image Pillow can read") from None
    except OSError as error:
        raise ImageFileError(f"{path}: cannot read it ({error.strerror or error})") from None
    if picture.format not in FORMATS:
        raise ImageFileError(f"{path}: is a {picture.format} image, expected PNG or PGM")
    width, height = picture.size
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE) or width * height > MAX_PIXELS:
        raise ImageFileError(f"{path}: {width}x{height} pixels, expected at most {MAX_SIDE} a side "
                             f"and {MAX_PIXELS:,} in all")
    return picture


def _grey(picture: Image.Image) -> np.ndarray:
    """Brightness 0..1 (16-bit and float pictures scaled by their own maximum)."""
    if picture.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(picture, dtype=np.float64)
        top = values.max()
        return values / top if top > 0 else values
    return np.asarray(picture.convert("L"), dtype=np.float64) / 255.0


def _border(values: np.ndarray) -> np.ndarray:
    return np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])


def ink_from_grey(grey: np.ndarray) -> np.ndarray:
    """Ink of a greyscale picture: inverted when its border (the paper) is light, the paper's level subtracted."""
    if np.median(_border(grey)) > 0.5:
        grey = 1.0 - grey
    paper = float(np.median(_border(grey)))
    return np.clip(grey - paper, 0.0, None)


def read_ink(path: str | Path) -> np.ndarray:
    """The ink of the picture in `path` (see the module docstring); raises ImageFileError naming the file."""
    path = Path(path)
    picture = _open(path)
    try:
        picture.load()
        transparent = "A" in picture.getbands() or "transparency" in picture.info
        if transparent:
            alpha = np.asarray(picture.convert("RGBA"), dtype=np.float64)[..., 3] / 255.0
            if alpha.min() < 0.99:
                return alpha
            picture = picture.convert("RGB")
        return ink_from_grey(_grey(picture))
    except (OSError, ValueError, SyntaxError) as error:
        raise ImageFileError(f"{path}: damaged or truncated image ({error})") from None
    finally:
        picture.close()
