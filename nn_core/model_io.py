"""Trained-model files: weights, architecture and normalisation in one `.npz`, loaded without pickle.

Layout (format version 2): `format` = "mnist-tui-model", `version`, `config` (ModelConfig as
JSON), `normalization` and `metadata` (JSON, "null" when absent), and the arrays W0, b0, W1, b1, ...
(float32, W{i} of shape (fan_in, fan_out)): the weights of the last finished epoch. Version 2 adds,
optionally, best_W0, best_b0, ...: the weights of the best-validation epoch (absent without a
validation set), and a training checkpoint: `checkpoint` (JSON, nn_core.checkpoint.TrainState
without its arrays) and opt0, opt1, ... (the optimizer's state arrays, `per_layer` per layer, each
of its fused layer's shape (fan_in + 1, fan_out)). Version 1 files (last weights only) still load.
Strings are 0-d unicode arrays, so
a hostile file cannot run code. Loading never trusts the file: the zip's member names and
declared sizes and each `.npy` header (dtype, shape) are checked against what the config implies
before a byte of an array is inflated, so a small file cannot make the loader allocate gigabytes.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nn_core.checkpoint import TrainState
from nn_core.config import ConfigError, ModelConfig, from_dict, to_dict
from nn_core.memory import FLOAT_BYTES, MEMORY_SHARE, gigabytes, memory_limit, parameter_count
from nn_core.model import MLP

MAGIC = "mnist-tui-model"
VERSION = 2
TEXT_FIELDS = ("format", "version", "config", "normalization", "metadata", "checkpoint")
_PARAM_NAME = re.compile(r"(best_)?[Wb](0|[1-9][0-9]{0,5})|opt(0|[1-9][0-9]{0,6})")
WEIGHTS = ("best", "last")
"""Which weights of a model file to use: the best-validation epoch's or the last finished epoch's."""
MAX_TEXT_BYTES = 1 << 20
"""Largest text field: a config or metadata is a few hundred bytes, so a megabyte is generous."""
MAX_HEADER = 4096
"""Largest .npy header read (NumPy writes 64 or 128 bytes)."""
NPY_MAGIC = b"\x93NUMPY"
FLOAT32_MAX = float(np.finfo(np.float32).max)
NORMALIZATION_KINDS = ("simple", "normal")
"""The kinds data.splits.Normalization knows (nn_core does not import data)."""


class ModelFileError(Exception):
    """A model file that cannot be used; the message names the file and what was wrong."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass(frozen=True)
class SavedModel:
    """`model` holds the weights named by `weights` ("best" or "last"); `has_best` says whether
    the file has best-validation weights at all."""

    model: MLP
    normalization: dict[str, Any] | None
    metadata: dict[str, Any] | None
    weights: str = "last"
    has_best: bool = False


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
    checkpoint: TrainState | None = None,
    durable: bool = True,
) -> Path:
    """Write the model atomically: a crash mid-write never leaves a half file at `path`.

    `model` holds the last weights; `checkpoint`, when given, adds the best-validation weights
    (if any) and what continuing needs. `durable=False` skips the fsync: the per-epoch checkpoint
    survives a killed process (the rename is atomic) without costing an fsync every epoch; the
    last write of a run is durable.
    """
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
    if checkpoint is not None:
        arrays["checkpoint"] = np.array(_json(checkpoint.scalars()))
        for i, layer in enumerate(checkpoint.best_layers or ()):
            arrays[f"best_W{i}"] = np.ascontiguousarray(layer[:-1], dtype=np.float32)
            arrays[f"best_b{i}"] = np.ascontiguousarray(layer[-1], dtype=np.float32)
        for k, array in enumerate(checkpoint.optimizer_arrays):
            arrays[f"opt{k}"] = np.ascontiguousarray(array, dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def _open_regular(path: Path):
    """`path` opened for reading if it is a regular file; a FIFO, device or folder is refused, never read.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; fstat of the
    opened descriptor then says what it really is (no race between a check and the open).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ModelFileError(path, "no such file") from None
    except OSError as e:
        raise ModelFileError(path, f"cannot be opened ({e.strerror or e})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise ModelFileError(path, f"is {kind}, not a model file; left untouched")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _members(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by field name, refusing duplicates, foreign names and unsafe compression."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        key = info.filename.removesuffix(".npy")
        if not info.filename.endswith(".npy") or not (key in TEXT_FIELDS or _PARAM_NAME.fullmatch(key)):
            raise ModelFileError(path, f"has an unexpected member {info.filename!r}; not a mnist-tui model file")
        if key in members:
            raise ModelFileError(path, f"has member {info.filename!r} twice")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(path, f"member {info.filename!r} uses compression method {info.compress_type}; "
                                 "expected stored or deflated")
        members[key] = info
    return members


def _member(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int,
    check: Callable[[tuple[int, ...], np.dtype], None] = lambda shape, dtype: None,
) -> np.ndarray:
    """One `.npy` member, read only after its header and declared sizes pass; at most `max_bytes` of data.

    Only the header is inflated first (a few hundred bytes): an object dtype (pickle) is refused,
    `check(shape, dtype)` compares them with what the config implies, and the zip's declared
    uncompressed size must be exactly the header plus that data.
    """
    name = info.filename
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise ModelFileError(path, f"member {name!r} has .npy format version {version}, expected 1.0 or 2.0")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(member, max_header_size=MAX_HEADER)
        if dtype.hasobject:
            raise ModelFileError(path, f"member {name!r} holds Python objects (pickled data), which are never loaded")
        check(shape, dtype)
        size = math.prod(shape) * dtype.itemsize
        if size > max_bytes:
            raise ModelFileError(path, f"member {name!r} declares shape {shape} of {dtype} ({size} bytes), "
                                 f"expected at most {max_bytes} bytes")
        if info.file_size != member.tell() + size:
            raise ModelFileError(path, f"member {name!r} declares {info.file_size} bytes uncompressed, but its "
                                 f"header and shape {shape} of {dtype} make {member.tell() + size}")
        data = member.read(size)
    if len(data) != size:
        raise ModelFileError(path, f"member {name!r} is truncated: {len(data)} of {size} bytes")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def _param_check(path: Path, key: str, shape: tuple[int, ...], config: ModelConfig):
    def check(got: tuple[int, ...], dtype: np.dtype) -> None:
        if got != shape:
            raise ModelFileError(path, f"array {key} has shape {got}, expected {shape} for {config.describe()}")
        if dtype != np.float32:
            raise ModelFileError(path, f"array {key} has dtype {dtype}, expected float32")

    return check


def _text(path: Path, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], key: str) -> str | None:
    """Text field `key` (a 0-d unicode array), or None when the member is absent."""
    info = members.get(key)
    if info is None:
        return None
    value = _member(path, archive, info, MAX_TEXT_BYTES)
    if value.shape != () or value.dtype.kind != "U":
        raise ModelFileError(path, f"field {key!r} is not text; not a mnist-tui model file")
    return str(value)


def _json_field(path: Path, text: str | None, key: str) -> Any:
    if text is None:
        raise ModelFileError(path, f"has no text field {key!r}; not a mnist-tui model file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelFileError(path, f"field {key!r} is not valid JSON: {e}") from None
    except RecursionError:
        raise ModelFileError(path, f"field {key!r} is JSON nested too deeply") from None


def _check_normalization(path: Path, value: Any) -> None:
    """None, or {"kind": one of NORMALIZATION_KINDS, "mean": finite, "std": finite > 0}."""
    if value is None:
        return
    expected = f"kind ({' or '.join(NORMALIZATION_KINDS)}), a finite mean and a finite std > 0"
    ok = isinstance(value, dict) and set(value) == {"kind", "mean", "std"} and value["kind"] in NORMALIZATION_KINDS
    numbers = ok and all(
        isinstance(value[k], (int, float)) and not isinstance(value[k], bool) and math.isfinite(value[k])
        for k in ("mean", "std")
    )
    if not numbers or not value["std"] > 0:
        raise ModelFileError(path, f"field 'normalization' is {_short(value)}, expected {expected}")
    scaled = [abs((pixel - value["mean"]) / value["std"]) for pixel in (0, 255)]
    if not all(x < FLOAT32_MAX for x in scaled):  # a std of 1e-320 turns every pixel into inf
        raise ModelFileError(path, f"field 'normalization' is {_short(value)}: pixels 0-255 would scale "
                             "beyond float32 (expected a mean and std of pixel-sized values)")


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _params_budget(path: Path, config: ModelConfig) -> None:
    """Refuse a config whose weights (read, then copied into the model) exceed the memory limit."""
    limit = memory_limit()
    need = 3 * parameter_count(config) * FLOAT_BYTES  # last and best weights read, one set copied
    if limit is not None and need > limit:
        raise ModelFileError(path, f"describes {config.describe()}, whose weights need about {gigabytes(need)} "
                             f"to load, over the limit of {gigabytes(limit)} ({MEMORY_SHARE:.0%} of this machine's memory)")


def load_model(path: str | os.PathLike, *, input_size: int | None = None, num_classes: int | None = None,
               weights: str = "last") -> SavedModel:
    """Read and validate a model file; any problem raises ModelFileError naming the file.

    `input_size` and `num_classes`, when given, are what the caller will feed and expect: a model
    of another shape is refused here rather than failing later in a matrix product. `weights`
    picks the best-validation or the last epoch's weights; both sets, when present, pass the
    same checks (names, headers, sizes) before being inflated.
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights: got {weights!r}, expected best or last")
    saved, _ = _read(path, input_size, num_classes, weights, checkpoint=False)
    return saved


def load_checkpoint(path: str | os.PathLike, optimizer_per_layer: int) -> tuple[SavedModel, TrainState | None]:
    """The last weights and the training state of a model file (None for a file without one, e.g. version 1).

    `optimizer_per_layer` is the run's optimizer's (nn_core.optimizers): each of its state
    arrays must have its layer's fused shape, checked before it is inflated.
    """
    return _read(path, None, None, "last", checkpoint=True, per_layer=optimizer_per_layer)


def _read(path, input_size, num_classes, weights, checkpoint, per_layer=0):
    path = Path(path)
    with _open_regular(path) as f:
        if f.read(len(NPY_MAGIC)) == NPY_MAGIC:
            raise ModelFileError(path, "is a single .npy array, not a mnist-tui model (.npz)")
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as archive:
                return _load(path, archive, input_size, num_classes, weights, checkpoint, per_layer)
        except ModelFileError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as e:
            raise ModelFileError(path, f"is not a readable .npz model file (truncated or foreign): {e}") from None
        except Exception as e:  # zipfile raises assorted errors on corrupt directories
            raise ModelFileError(path, f"is corrupt: {type(e).__name__}: {e}") from None


def _load(path: Path, archive: zipfile.ZipFile, input_size: int | None, num_classes: int | None,
          weights: str, checkpoint: bool, per_layer: int) -> tuple[SavedModel, TrainState | None]:
    members = _members(path, archive)
    if _text(path, archive, members, "format") != MAGIC:
        raise ModelFileError(path, f"is not a mnist-tui model file (no format marker {MAGIC!r})")
    version = members.get("version") and _member(path, archive, members["version"], 8)
    if version is None or version.shape != () or version.dtype.kind not in "iu" or not 1 <= int(version) <= VERSION:
        raise ModelFileError(path, f"has format version {version!r}; this program reads version 1 to {VERSION}")
    config_values = _json_field(path, _text(path, archive, members, "config"), "config")
    if not isinstance(config_values, dict):
        raise ModelFileError(path, "field 'config' is not a JSON object")
    try:
        config = from_dict(ModelConfig, config_values)
    except (ConfigError, TypeError) as e:
        raise ModelFileError(path, f"has an invalid model config: {e}") from None
    for field, wanted in (("input_size", input_size), ("num_classes", num_classes)):
        if wanted is not None and getattr(config, field) != wanted:
            raise ModelFileError(path, f"has {field} {getattr(config, field)} ({config.describe()}), "
                                 f"expected {wanted} for this dataset")
    normalization = _json_field(path, _text(path, archive, members, "normalization"), "normalization")
    metadata = _json_field(path, _text(path, archive, members, "metadata"), "metadata")
    _check_normalization(path, normalization)
    if metadata is not None and not isinstance(metadata, dict):
        raise ModelFileError(path, "field 'metadata' is not a JSON object")
    sizes = config.layer_sizes
    layers = len(sizes) - 1
    has_best = "best_W0" in members
    prefixes = ("", "best_") if has_best else ("",)
    expected_keys = {f"{pre}{p}{i}" for pre in prefixes for i in range(layers) for p in "Wb"}
    extra = sorted(k for k in members if _PARAM_NAME.fullmatch(k) and not k.startswith("opt") and k not in expected_keys)
    if extra:
        raise ModelFileError(path, f"has arrays {extra} beyond the {layers} layers of {config.describe()}")
    if weights == "best" and not has_best:
        raise ModelFileError(path, "has no best-validation weights (its run had no validation set, or the file "
                             "predates them); use the last weights")
    _params_budget(path, config)
    sets = {pre: _param_set(path, archive, members, config, pre) for pre in prefixes}
    chosen = sets["best_" if weights == "best" else ""]
    saved = SavedModel(MLP.from_params(config, chosen), normalization, metadata, weights, has_best)
    if not checkpoint:
        return saved, None
    return saved, _train_state(path, archive, members, config, per_layer, sets.get("best_"))


def _param_set(path: Path, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], config: ModelConfig,
               prefix: str) -> list[np.ndarray]:
    """W0, b0, W1, ... (with `prefix`), each checked against the config before it is inflated."""
    sizes = config.layer_sizes
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        for key, shape in ((f"{prefix}W{i}", (fan_in, fan_out)), (f"{prefix}b{i}", (fan_out,))):
            if key not in members:
                raise ModelFileError(path, f"is missing array {key} of {config.describe()}")
            value = _member(path, archive, members[key], math.prod(shape) * FLOAT_BYTES,
                            check=_param_check(path, key, shape, config))
            if not np.isfinite(value).all():
                raise ModelFileError(path, f"array {key} contains NaN or infinite values")
            params.append(value)
    return params


def _train_state(path: Path, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], config: ModelConfig,
                 per_layer: int, best: list[np.ndarray] | None) -> TrainState | None:
    """The checkpoint of a file (None when it has none); optimizer arrays checked like the weights."""
    text = _text(path, archive, members, "checkpoint")
    if text is None:
        return None
    values = _json_field(path, text, "checkpoint")
    sizes = config.layer_sizes
    shapes = [(fan_in + 1, fan_out) for fan_in, fan_out in zip(sizes[:-1], sizes[1:]) for _ in range(per_layer)]
    found = sorted(int(k[3:]) for k in members if k.startswith("opt"))
    if found != list(range(len(shapes))):
        raise ModelFileError(path, f"has optimizer arrays {['opt%d' % k for k in found]}, expected opt0..opt{len(shapes) - 1} "
                             f"({per_layer} per layer of {config.describe()})" if shapes else
                             f"has optimizer arrays {['opt%d' % k for k in found]}, expected none for this optimizer")
    arrays = []
    for k, shape in enumerate(shapes):
        key = f"opt{k}"
        value = _member(path, archive, members[key], math.prod(shape) * FLOAT_BYTES,
                        check=_param_check(path, key, shape, config))
        if not np.isfinite(value).all():
            raise ModelFileError(path, f"array {key} contains NaN or infinite values")
        arrays.append(value)
    best_layers = None
    if best is not None:
        best_layers = [np.vstack([w, b[None, :]]) for w, b in zip(best[::2], best[1::2])]
    try:
        state = TrainState.from_scalars(values, arrays, best_layers)
    except ValueError as error:
        raise ModelFileError(path, str(error)) from None
    if (state.best_epoch is None) != (best is None):
        raise ModelFileError(path, "checkpoint best_epoch and the best weights disagree (one without the other)")
    return state
