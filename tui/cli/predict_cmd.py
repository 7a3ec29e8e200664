"""`mnist-tui predict`: draw test digits in the terminal with a recorded run's predictions.

Loads the run's saved model (with the normalization it was trained with) and the run's
dataset, then shows each image as half-block characters with the predicted label, its
probability and the true label — what the original predict.py showed in a window.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from rich.text import Text

from runs.store import StoreError
from tui.cli import common
from tui.digit_art import digits_row
from tui.safe_text import assemble

DIGIT_WIDTH, GAP = 28, 2


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("predict", help="draw test digits with a recorded run's predictions")
    parser.add_argument("--run", type=common.positive_int, required=True, metavar="ID", help="run id (see `runs list`)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--index", type=common.non_negative_int, metavar="N",
                       help="start at test image N (default 0)")
    which.add_argument("--wrong", action="store_true", help="the most confidently wrong test images instead")
    which.add_argument("--image", metavar="FILE",
                       help="classify your own picture of a digit (PNG or PGM; dark ink on paper is fine)")
    parser.add_argument("--count", type=common.positive_int, default=8, help="how many images (default 8)")
    parser.add_argument("--data-dir", metavar="DIR", help="folder holding the four IDX files (default: as the run)")
    parser.add_argument("--weights", choices=("best", "last"),
                        help="the best-validation epoch's or the last epoch's weights (default: those the run reported)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    store = common.open_store("predict")
    if isinstance(store, int):
        return store
    with store:
        try:
            record = common.get_run(store, args.run)
        except StoreError as error:
            return common.failure("predict", str(error))
    if record is None:
        return common.usage_error("predict", f"argument --run: unknown run id {args.run} (see `mnist-tui runs list`)")
    if not record.model_path:
        return common.failure("predict", f"run {record.id} has no saved model (status {record.status})")

    from data.errors import DataError
    from data.idx import NUM_CLASSES
    from data.loader import load_dataset
    from data.registry import IMAGE_PIXELS
    from data.splits import Normalization
    from nn_core.model_io import ModelFileError, load_model

    reported = "best" if (record.final or {}).get("weights") == "best" else "last"
    weights = args.weights or reported
    try:
        saved = load_model(record.model_path, input_size=IMAGE_PIXELS, num_classes=NUM_CLASSES, weights=weights)
    except (ModelFileError, OSError) as error:
        if weights == "best" and isinstance(error, ModelFileError) and "no best-validation weights" in error.problem:
            return common.usage_error("predict", f"argument --weights: run {record.id} has no best-validation "
                                      "weights (trained without a validation set); expected last")
        return common.failure("predict", f"cannot load the model of run {record.id}: {error}")
    if args.image is not None:
        from data.registry import get_spec
        from tui.cli.predict_image import predict_image

        try:
            names = get_spec(record.dataset.get("name", "mnist")).class_names
        except KeyError:
            names = tuple(str(k) for k in range(NUM_CLASSES))
        return predict_image(record, saved, args.image, names)
    data_dir = args.data_dir or record.config.get("data", {}).get("data_dir")
    try:
        dataset = load_dataset(record.dataset.get("name", "mnist"), data_dir)
    except DataError as error:
        return common.failure("predict", str(error))
    images, labels = dataset.test_images, dataset.test_labels
    if args.index is not None and args.index >= len(labels):
        return common.usage_error("predict", f"argument --index: got {args.index}, expected 0 to {len(labels) - 1}")

    normalization = Normalization.from_dict(saved.normalization) if saved.normalization else None
    x = normalization.apply(images) if normalization else images.reshape(len(images), -1).astype(np.float32) / 255
    probabilities = saved.model.predict_proba(x.reshape(len(images), -1))
    predicted = probabilities.argmax(axis=1)
    if args.wrong:
        wrong = np.flatnonzero(predicted != labels)
        confidence = probabilities[wrong, predicted[wrong]]
        chosen = wrong[np.argsort(-confidence, kind="stable")][: args.count]
    else:
        start = args.index or 0
        chosen = np.arange(start, min(start + args.count, len(labels)))

    console = common.stdout_console()
    if dataset.checksums != record.dataset.get("checksums", dataset.checksums):
        console.print("[yellow]warning: the test files differ from those this run was trained on[/]")
    names = dataset.spec.class_names
    accuracy = float((predicted == labels).mean())
    which = "best-validation weights" if weights == "best" else "last epoch's weights"
    console.print(assemble(f"run {record.id} · {which} · {record.dataset.get('name')} test set · "
                           f"accuracy {common.percent(accuracy)} · "
                           f"{int((predicted != labels).sum())} wrong of {len(labels)}"))
    per_row = max(1, (console.width + GAP) // (DIGIT_WIDTH + GAP))
    for start in range(0, len(chosen), per_row):
        batch = chosen[start : start + per_row]
        captions = [_caption(int(i), int(predicted[i]), float(probabilities[i, predicted[i]]), int(labels[i]))
                    for i in batch]
        console.print(digits_row([images[i] for i in batch], captions, gap=GAP, colour=console.color_system is not None))
        if not all(name.isdigit() for name in names):
            console.print(Text(_names_line(batch, predicted, labels, names), style="dim"))
    if not len(chosen):
        console.print("no images to show (no wrong predictions)")
    return common.EXIT_OK


def _caption(index: int, predicted: int, probability: float, true: int) -> str:
    """E.g. ``#8 pred 6 87% true 5 ✗`` (test image 8, predicted 6 with probability 0.87, wrong)."""
    mark = "✓" if predicted == true else "✗"
    return f"#{index} pred {predicted} {100 * probability:.0f}% true {true} {mark}"


def _names_line(batch: np.ndarray, predicted: np.ndarray, labels: np.ndarray, names: tuple[str, ...]) -> str:
    """Class names under the captions (they matter for Fashion-MNIST, where labels are not digits)."""
    cells = [f"{names[predicted[i]]}/{names[labels[i]]}"[:DIGIT_WIDTH].ljust(DIGIT_WIDTH) for i in batch]
    return (" " * GAP).join(cells)
