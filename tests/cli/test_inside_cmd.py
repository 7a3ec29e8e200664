"""`mnist-tui runs inside` and `predict --image`, in subprocesses, on runs trained for real."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from cli_helpers import cli
from data.loader import load_dataset
from nn_core.config import TrainConfig
from runs.config import DataConfig, RunConfig
from runs.service import execute_run
from runs.store import RunStore


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Run 1 learns; run 2 (learning rate 1) kills most of its ReLU layer; run 3 (2) all of it, and stops."""
    home = tmp_path_factory.mktemp("inside-home")
    data = DataConfig(limit=5000, val_size=1000)
    configs = [RunConfig(data=data, train=TrainConfig(epochs=3)),
               RunConfig(data=data, train=TrainConfig(epochs=2, learning_rate=1.0)),
               RunConfig(data=data, train=TrainConfig(epochs=2, learning_rate=2.0))]
    with RunStore.open(home) as store:
        assert [execute_run(c, store=store).status for c in configs] == ["completed", "completed", "diverged"]
    return home


def _ok(result):
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_inside_prints_the_layer_table_histograms_and_64_weight_pictures(home):
    out = _ok(cli(home, "runs", "inside", "1"))
    assert "layers after epoch 3" in out and "hidden layer 1" in out and "784x64" in out and "output layer" in out
    assert out.count("\u2580") == 64 * 14 * 7  # 64 tiles of 14x14 weights (2x2 averages), two rows a cell
    assert "warning" not in out


def test_inside_names_the_dead_layer_of_a_too_high_learning_rate(home):
    out = _ok(cli(home, "runs", "inside", "2")).replace("\n", " ")
    assert "warning: hidden layer 1: 98% of its units are dead" in out  # 63 of 64
    assert "lower the learning rate (now 1)" in out
    assert out.count("\u2580") == 64 * 14 * 7  # its model was saved: the dead units' pictures show too
    out = _ok(cli(home, "runs", "inside", "3")).replace("\n", " ")
    assert "warning: hidden layer 1: 100% of its units are dead" in out and "lower the learning rate (now 2)" in out
    assert "run 3 has no saved model (status diverged)" in out


def test_show_json_includes_the_layer_statistics(home):
    run = json.loads(_ok(cli(home, "runs", "show", "1", "--json")))
    layers = [e["layers"] for e in run["epochs"]]
    assert len(layers) == 3 and [row["layer"] for row in layers[-1]] == [1, 2]
    assert layers[-1][0]["weight_norm"] != layers[0][0]["weight_norm"]


def test_png_writes_one_picture_per_unit_and_refuses_to_replace(home, tmp_path):
    folder = tmp_path / "tiles"
    _ok(cli(home, "runs", "inside", "1", "--png", str(folder)))
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 65 and "run1-layer1.png" in files and "run1-unit64.png" in files
    assert Image.open(folder / "run1-unit01.png").size == (224, 224)
    before = (folder / "run1-unit01.png").read_bytes()
    again = cli(home, "runs", "inside", "1", "--png", str(folder))
    assert again.returncode == 2 and "run1-unit01.png exists" in again.stderr
    assert (folder / "run1-unit01.png").read_bytes() == before
    refused = cli(home, "runs", "inside", "3", "--png", str(tmp_path / "other"))
    assert refused.returncode == 1 and "no saved model" in refused.stderr


def test_inside_of_an_unknown_run_is_a_usage_error(home):
    result = cli(home, "runs", "inside", "42")
    assert result.returncode == 2 and "unknown run id 42" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def seven():
    dataset = load_dataset("mnist", download=False)
    index = int(np.flatnonzero(dataset.test_labels == 7)[0])
    return np.asarray(Image.fromarray(dataset.test_images[index]).resize((140, 140), Image.Resampling.BICUBIC))


def test_predict_image_reads_paper_alpha_colour_and_pgm(home, tmp_path, seven):
    paper = np.full((300, 260), 235, np.uint8)
    paper[40:180, 60:200] = 255 - seven  # a scan: dark ink on light paper, off centre
    Image.fromarray(paper).save(tmp_path / "paper.png")
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[30:170, 30:170, 0], rgba[30:170, 30:170, 3] = 200, seven  # red ink on a transparent background
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    colour = np.stack([255 - seven] * 3, axis=-1)
    colour[..., 2] = 255  # blue paper, dark ink
    Image.fromarray(colour).save(tmp_path / "colour.png")
    Image.fromarray(seven).save(tmp_path / "seven.pgm")
    for name in ("paper.png", "alpha.png", "colour.png", "seven.pgm"):
        out = _ok(cli(home, "predict", "--run", "1", "--image", str(tmp_path / name)))
        assert out.startswith("run 1 reads 7 ("), (name, out)
        assert out.count("\u2580") == 28 * 14 and out.count("%") == 11


@pytest.mark.parametrize("content,named", [
    (None, "no such file"),
    (b"not an image at all", "not a PNG or PGM image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "not a PNG or PGM image"),
])
def test_predict_image_refuses_bad_files_by_name(home, tmp_path, content, named):
    path = tmp_path / "digit.png"
    if content is not None:
        path.write_bytes(content)
    result = cli(home, "predict", "--run", "1", "--image", str(path))
    assert result.returncode == 2 and str(path) in result.stderr and named in result.stderr
    assert "Traceback" not in result.stderr


def test_predict_image_refuses_a_blank_picture_and_a_jpeg(home, tmp_path):
    Image.fromarray(np.full((50, 50), 255, np.uint8)).save(tmp_path / "blank.png")
    result = cli(home, "predict", "--run", "1", "--image", str(tmp_path / "blank.png"))
    assert result.returncode == 2 and "no ink found" in result.stderr
    Image.fromarray(np.full((50, 50), 255, np.uint8)).save(tmp_path / "x.jpg")
    result = cli(home, "predict", "--run", "1", "--image", str(tmp_path / "x.jpg"))
    assert result.returncode == 2 and "is a JPEG image, expected PNG or PGM" in result.stderr
