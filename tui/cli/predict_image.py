"""`mnist-tui predict --run ID --image FILE`: one's own picture of a digit, classified by a recorded run.

The picture goes through the same MNIST-style preprocessing as the Inside tab's canvas
(data.preprocess): ink found (dark ink on light paper is inverted), its box scaled to 20x20,
centred by its centre of mass in 28x28. The 28x28 result is drawn so one sees what the model saw.
"""

from __future__ import annotations

import numpy as np

from tui.cli import common
from tui.digit_art import digit_text
from tui.probability_bars import probability_bars
from tui.safe_text import assemble, safe_text


def predict_image(record, saved, path: str, names: tuple[str, ...]) -> int:
    """Classify the picture at `path` with the loaded model `saved` of run `record`; print it and the ten bars."""
    from data.image_file import ImageFileError, read_ink
    from data.preprocess import mnist_style
    from data.splits import Normalization

    try:
        ink = read_ink(path)
    except ImageFileError as error:
        return common.usage_error("predict", f"argument --image: {error}")
    digit = mnist_style(ink)
    if not digit.any():
        return common.usage_error("predict", f"argument --image: {path}: no ink found (the picture is one flat colour)")
    normalization = Normalization.from_dict(saved.normalization) if saved.normalization else Normalization.simple()
    probabilities = saved.model.predict_proba(normalization.apply(digit[None]))[0]
    best = int(np.argmax(probabilities))
    console = common.stdout_console()
    console.print(assemble(f"run {record.id} reads ", (names[best], "bold"),
                           f" ({100 * probabilities[best]:.1f}%) in ", safe_text(str(path))))
    console.print(digit_text(digit))
    console.print(probability_bars(probabilities, names))
    return common.EXIT_OK
