"""`mnist-tui runs inside ID [--png DIR]`: what a run's layers learned — the layer table, warnings,
weight histograms and the first layer's weight pictures (or, with --png, those pictures as files).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
from rich.text import Text

from runs.layer_health import warnings
from runs.store import RunRecord, RunStore
from tui.cli import common
from tui.layer_text import histogram_text, layer_table
from tui.safe_text import assemble
from tui.weight_art import diverging_rgb, scale_legend, tile_grid, unit_tiles, weight_scale

PNG_PIXEL = 8
"""Each weight becomes an 8x8 block in the PNG files, so a tile is 224 pixels a side."""


def register(actions: argparse._SubParsersAction, with_store) -> None:
    parser = actions.add_parser("inside", help="a run's layers: statistics, warnings, histograms and weight pictures")
    parser.add_argument("run_id", type=common.positive_int, metavar="ID")
    parser.add_argument("--png", metavar="DIR", help="write the first layer's weight pictures as PNG files into DIR")
    parser.set_defaults(handler=lambda args: with_store(args, lambda store: inside(store, args)))


def first_layer(run: RunRecord) -> tuple[np.ndarray | None, str]:
    """The run's first-layer weights (784, units) from its model file, or None and why not."""
    from data.idx import NUM_CLASSES
    from data.registry import IMAGE_PIXELS
    from nn_core.model_io import ModelFileError, load_model

    if not run.model_path:
        return None, f"run {run.id} has no saved model (status {run.status}): no weight pictures"
    try:
        saved = load_model(run.model_path, input_size=IMAGE_PIXELS, num_classes=NUM_CLASSES)
    except (ModelFileError, OSError) as error:
        return None, f"cannot load the model of run {run.id}: {error}"
    return saved.model.weights[0], ""


def inside(store: RunStore, args: argparse.Namespace) -> int:
    run = common.get_run(store, args.run_id)  # a damaged run raises DamagedRunError, reported by with_store
    if run is None:
        return common.usage_error("runs inside", f"argument ID: unknown run id {args.run_id} (see `mnist-tui runs list`)")
    weights, why = first_layer(run)
    if args.png is not None:
        if weights is None:
            return common.failure("runs inside", why)
        return write_pngs(Path(args.png), run.id, weights)
    console = common.stdout_console()
    stats = next((e for e in reversed(run.epochs) if e.get("layers")), None)
    sizes = run.run_config.model.layer_sizes
    console.print(assemble((f"run {run.id}", "bold"), f"  {run.run_config.model.describe()}  {run.status}"))
    if stats is None:
        console.print("no layer statistics recorded (the run is older than them, or ended before its first epoch)")
    else:
        console.print(layer_table(stats["layers"], sizes, title=f"layers after epoch {stats['epoch']}"))
        for warning in warnings(stats["layers"], run.config):
            console.print(Text("warning: " + warning, style="yellow"))
        for row in stats["layers"]:
            console.print(histogram_text(row, len(stats["layers"])))
    if run.status == "diverged" and run.message:
        console.print(Text("run message: " + run.message, style="yellow"))
    if weights is None:
        console.print(why)
        return common.EXIT_OK
    scale = weight_scale(weights)
    tiles = unit_tiles(weights)
    console.print(assemble(f"first layer: {tiles.shape[0]} units, each unit's 784 incoming weights as 28x28 "
                           "(blue negative, red positive) "), scale_legend(scale))
    columns = max(1, (console.width + 1) // 15)
    console.print(tile_grid(tiles, scale, columns, factor=2))
    return common.EXIT_OK


def write_pngs(folder: Path, run_id: int, weights: np.ndarray) -> int:
    """run<ID>-unit<NN>.png per unit and run<ID>-layer1.png with all of them; existing files are never replaced."""
    from PIL import Image

    tiles = unit_tiles(weights)
    scale = weight_scale(weights)
    names = [f"run{run_id}-unit{i + 1:02d}.png" for i in range(len(tiles))] + [f"run{run_id}-layer1.png"]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return common.failure("runs inside", f"cannot create {folder}: {error.strerror or error}")
    taken = [n for n in names if (folder / n).exists()]
    if taken:
        return common.usage_error("runs inside", f"argument --png: {folder / taken[0]} exists; "
                                                 "choose an empty folder (nothing was written)")
    pictures = [np.kron(diverging_rgb(t, scale), np.ones((PNG_PIXEL, PNG_PIXEL, 1), dtype=np.uint8)) for t in tiles]
    columns = int(np.ceil(np.sqrt(len(pictures))))
    side, gap = pictures[0].shape[0], PNG_PIXEL
    rows = int(np.ceil(len(pictures) / columns))
    sheet = np.zeros((rows * (side + gap) - gap, columns * (side + gap) - gap, 3), dtype=np.uint8)
    for i, picture in enumerate(pictures):
        r, c = divmod(i, columns)
        sheet[r * (side + gap):r * (side + gap) + side, c * (side + gap):c * (side + gap) + side] = picture
    try:
        for name, picture in zip(names, [*pictures, sheet]):
            _save_atomically(Image.fromarray(picture), folder / name)
    except OSError as error:
        return common.failure("runs inside", f"cannot write into {folder}: {error.strerror or error}")
    print(f"wrote {len(tiles)} unit pictures and the sheet {names[-1]} into {folder} (scale ±{scale:.3g})")
    return common.EXIT_OK


def _save_atomically(picture, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            picture.save(fh, format="PNG")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
