"""Digits drawn without colour use a character ramp (half blocks without colour are all alike)."""

from __future__ import annotations

import numpy as np

from tui.digit_art import digit_text


def test_digit_ramp_goes_from_blank_to_at_sign():
    image = np.zeros((28, 28), np.uint8)
    image[:, 14:] = 255  # right half white
    lines = digit_text(image, colour=False).plain.split("\n")
    assert len(lines) == 14 and all(line == " " * 14 + "@" * 14 for line in lines)


def test_digit_ramp_averages_the_two_rows_of_a_line():
    image = np.zeros((28, 28), np.uint8)
    image[0::2] = 255  # every top row white, every bottom row black: half grey
    assert set(digit_text(image, colour=False).plain.replace("\n", "")) == {"="}
