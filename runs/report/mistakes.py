"""A run's most confident mistakes on the test set, recomputed from its saved model.

The model path comes from the store, so it is trusted only inside the store's models folder;
the test images come from the machine's usual data sources (never downloaded from here) and
must carry the checksums the run recorded. Anything missing gives a reason instead of digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runs.store import RunRecord


@dataclass(frozen=True)
class Mistake:
    index: int
    image: np.ndarray
    true: int
    predicted: int
    probability: float


def model_file(run: RunRecord, models_dir: Path) -> Path | str:
    """The run's model file, or why it cannot be used."""
    if not run.model_path:
        return f"run {run.id} has no saved model (status {run.status})"
    path = Path(run.model_path)
    try:
        resolved = path.resolve()
        inside = resolved.is_relative_to(models_dir.resolve())
    except (OSError, ValueError):
        inside = False
    if not inside:
        return f"the model path of run {run.id} lies outside the store's models folder; not read"
    if not resolved.is_file():
        return f"the model file of run {run.id} is missing"
    return resolved


class TestSets:
    """The datasets one report needs, each loaded once (a report of ten MNIST runs decodes MNIST once).

    `data_dir` is the user's folder of IDX files (as `--data-dir`); without it the usual sources
    are searched (never the network, and never a folder named by the store).
    """

    def __init__(self, data_dir: str | None = None) -> None:
        self.data_dir = data_dir
        self._loaded: dict[str, object] = {}

    def get(self, name: str) -> object:
        """The `data.loader.Dataset` called `name`, or why it cannot be had."""
        if name not in self._loaded:
            from data.errors import DataError
            from data.loader import load_dataset

            try:
                self._loaded[name] = load_dataset(name, self.data_dir, download=False)
            except (DataError, KeyError) as error:
                # The first line only: the rest lists this machine's folders, not for a page to hand over.
                first = str(error).strip("'").splitlines()[0].split(". ")[0].rstrip(". :")
                where = "" if self.data_dir else "; pass --data-dir DIR"
                self._loaded[name] = f"the test images are not available ({first}{where})"
        return self._loaded[name]


def confident_mistakes(run: RunRecord, models_dir: Path, test_sets: TestSets | None = None,
                       count: int = 16) -> list[Mistake] | str:
    """Up to `count` wrongly classified test images, most confident first, or a reason there are none."""
    from data.splits import Normalization
    from nn_core.model_io import ModelFileError, load_model

    path = model_file(run, models_dir)
    if isinstance(path, str):
        return path
    try:
        saved = load_model(path)
    except (ModelFileError, OSError) as error:
        return f"cannot load the model of run {run.id}: {error}"
    dataset = (test_sets or TestSets()).get(str(run.dataset.get("name", "mnist")))
    if isinstance(dataset, str):
        return dataset
    recorded = run.dataset.get("checksums") or {}
    if any(dataset.checksums.get(name) != digest for name, digest in recorded.items()):
        return "the test files on this machine differ from those the run was trained on"
    images, labels = dataset.test_images, dataset.test_labels
    flat = images.reshape(len(images), -1)
    if saved.normalization:
        x = Normalization.from_dict(saved.normalization).apply(images).reshape(len(images), -1)
    else:
        x = flat.astype(np.float32) / 255
    if x.shape[1] != saved.model.config.input_size:
        return f"the model of run {run.id} expects {saved.model.config.input_size} inputs, the images have {x.shape[1]}"
    probabilities = saved.model.predict_proba(x)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    chosen = wrong[np.argsort(-confidence, kind="stable")][:count]
    return [Mistake(int(i), images[i], int(labels[i]), int(predicted[i]), float(probabilities[i, predicted[i]]))
            for i in chosen]
