"""Trained-model files: weights, architecture and normalisation in one `.npz`, loaded without pickle.

Layout (format version 1): `format` = "mnist-tui-model", `version`, `config` (ModelConfig as
JSON), `normalization` and `metadata` (JSON, "null" when absent), and the arrays W0, b0, W1, b1, ...
(float32, W{i} of shape (fan_in, fan_out)). Strings are 0-d unicode arrays, so
`np.load(allow_pickle=False)` reads everything and a hostile file cannot run code.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nn_core.config import ConfigError, ModelConfig, from_dict, to_dict
from nn_core.model import MLP

MAGIC = "mnist-tui-model"
VERSION = 1


class ModelFileError(Exception):
    """A model file that cannot be used; the message names the file and what was wrong."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass(frozen=True)
class SavedModel:
    model: MLP
    normalization: dict[str, Any] | None
    metadata: dict[str, Any] | None


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json(value: Any) -> str:
    """JSON text; NumPy scalars and arrays become numbers and lists, anything else is refused."""
    return json.dumps(value, default=_plain)


def save_model(
    path: str | os.PathLike,
    model: MLP,
    normalization: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write the model atomically: a crash mid-write never leaves a half file at `path`."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "format": np.array(MAGIC),
        "version": np.array(VERSION),
        "config": np.array(json.dumps(to_dict(model.config))),
        "normalization": np.array(_json(normalization)),
        "metadata": np.array(_json(metadata)),
    }
    for i, layer in enumerate(model.layers):
        arrays[f"W{i}"] = np.ascontiguousarray(layer[:-1], dtype=np.float32)
        arrays[f"b{i}"] = np.ascontiguousarray(layer[-1], dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ModelFileError(path, "is a single .npy array, not a mnist-tui model (.npz)")
        with npz:
            return {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise ModelFileError(path, "no such file") from None
    except ModelFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ModelFileError(path, f"is not a readable .npz model file (truncated or foreign): {e}") from None
    except Exception as e:  # zipfile/zlib raise assorted errors on corrupt members
        raise ModelFileError(path, f"is corrupt: {type(e).__name__}: {e}") from None


def _text(path: Path, arrays: dict[str, np.ndarray], key: str) -> str:
    value = arrays.get(key)
    if value is None or value.shape != () or value.dtype.kind != "U":
        raise ModelFileError(path, f"has no text field {key!r}; not a mnist-tui model file")
    return str(value)


def _json_field(path: Path, arrays: dict[str, np.ndarray], key: str) -> Any:
    try:
        return json.loads(_text(path, arrays, key))
    except json.JSONDecodeError as e:
        raise ModelFileError(path, f"field {key!r} is not valid JSON: {e}") from None


def load_model(path: str | os.PathLike) -> SavedModel:
    """Read and validate a model file; any problem raises ModelFileError naming the file."""
    path = Path(path)
    arrays = _read(path)
    if arrays.get("format") is None or _text(path, arrays, "format") != MAGIC:
        raise ModelFileError(path, f"is not a mnist-tui model file (no format marker {MAGIC!r})")
    version = arrays.get("version")
    if version is None or version.shape != () or version.dtype.kind not in "iu" or not 1 <= int(version) <= VERSION:
        raise ModelFileError(path, f"has format version {version!r}; this program reads version 1 to {VERSION}")
    config_values = _json_field(path, arrays, "config")
    if not isinstance(config_values, dict):
        raise ModelFileError(path, "field 'config' is not a JSON object")
    try:
        config = from_dict(ModelConfig, config_values)
    except (ConfigError, TypeError) as e:
        raise ModelFileError(path, f"has an invalid model config: {e}") from None
    normalization = _json_field(path, arrays, "normalization")
    metadata = _json_field(path, arrays, "metadata")
    for key, value in (("normalization", normalization), ("metadata", metadata)):
        if value is not None and not isinstance(value, dict):
            raise ModelFileError(path, f"field {key!r} is not a JSON object")
    sizes = config.layer_sizes
    layers = len(sizes) - 1
    expected_keys = {f"{p}{i}" for i in range(layers) for p in "Wb"}
    extra = sorted(k for k in arrays if k[:1] in "Wb" and k[1:].isdigit() and k not in expected_keys)
    if extra:
        raise ModelFileError(path, f"has arrays {extra} beyond the {layers} layers of {config.describe()}")
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        for key, shape in ((f"W{i}", (fan_in, fan_out)), (f"b{i}", (fan_out,))):
            value = arrays.get(key)
            if value is None:
                raise ModelFileError(path, f"is missing array {key} of {config.describe()}")
            if value.shape != shape:
                raise ModelFileError(path, f"array {key} has shape {value.shape}, expected {shape} for {config.describe()}")
            if value.dtype != np.float32:
                raise ModelFileError(path, f"array {key} has dtype {value.dtype}, expected float32")
            if not np.isfinite(value).all():
                raise ModelFileError(path, f"array {key} contains NaN or infinite values")
            params.append(value)
    return SavedModel(MLP.from_params(config, params), normalization, metadata)
