"""Reading a digit picture: which way round the ink is, transparency, 16 bits, and files refused before memory is spent."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from data.image_file import ImageFileError, ink_from_grey, read_ink


def _png_header_only(path, width, height):
    """A PNG whose header claims width x height pixels, with no pixel data at all."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width,height,message", [
    (10000, 1000, "10000x1000 pixels, expected at most 8192 a side"),
    (5000, 5000, "5000x5000 pixels, expected at most 8192 a side and 16,000,000 in all"),
    (30000, 30000, "far too many pixels, expected at most 8192 a side"),  # Pillow's own bomb guard
])
def test_a_huge_picture_is_refused_from_its_header(tmp_path, width, height, message):
    path = tmp_path / "huge.png"
    _png_header_only(path, width, height)
    before = path.read_bytes()
    with pytest.raises(ImageFileError, match="huge.png: " + message):
        read_ink(path)
    assert path.read_bytes() == before


def test_a_truncated_png_is_named(tmp_path):
    path = tmp_path / "cut.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ImageFileError, match="cut.png: damaged or truncated"):
        read_ink(path)


def test_dark_ink_on_light_paper_is_inverted_and_the_paper_level_removed():
    paper = np.full((10, 10), 0.9)
    paper[3:7, 4:6] = 0.1
    ink = ink_from_grey(paper)
    assert ink[0, 0] == 0 and ink[4, 4] == pytest.approx(0.8)


def test_light_ink_on_a_dark_background_is_kept():
    screen = np.full((10, 10), 0.05)
    screen[3:7, 4:6] = 1.0
    ink = ink_from_grey(screen)
    assert ink[0, 0] == 0 and ink[4, 4] == pytest.approx(0.95)


def test_transparency_is_the_ink(tmp_path):
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., :3] = 255  # white everywhere: only the alpha tells the strokes apart
    rgba[5:15, 9:11, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    ink = read_ink(tmp_path / "a.png")
    assert ink[10, 10] == 1.0 and ink[0, 0] == 0.0


def test_sixteen_bit_pgm(tmp_path):
    values = np.zeros((20, 20), np.uint16)
    values[5:15, 9:11] = 60000
    Image.fromarray(values).save(tmp_path / "d.pgm")
    ink = read_ink(tmp_path / "d.pgm")
    assert ink[10, 10] == pytest.approx(1.0) and ink[0, 0] == 0.0
