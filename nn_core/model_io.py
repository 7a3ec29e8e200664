"""Trained-model files: weights, architecture and normalisation in one `.npz`, loaded without pickle.

Layout (format version 1): `format` = "mnist-tui-model", `version`, `config` (ModelConfig as
JSON), `normalization` and `metadata` (JSON, "null" when absent), and the arrays W0, b0, W1, b1, ...
(float32, W{i} of shape (fan_in, fan_out)). Strings are 0-d unicode arrays, so
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

from nn_core.config import ConfigError, ModelConfig, from_dict, to_dict
from nn_core.memory import FLOAT_BYTES, MEMORY_SHARE, gigabytes, memory_limit, parameter_count
from nn_core.model import MLP

MAGIC = "mnist-tui-model"
VERSION = 1
TEXT_FIELDS = ("format", "version", "config", "normalization", "metadata")
_PARAM_NAME = re.compile(r"[Wb](0|[1-9][0-9]{0,5})")
MAX_TEXT_BYTES = 1 << 20
"""Largest text field: a config or metadata is a few hundred bytes, so a megabyte is generous."""
MAX_HEADER = 4096
"""Largest .npy header read (NumPy writes 64 or 128 bytes)."""
NPY_MAGIC = b"\x93NUMPY"
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


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _params_budget(path: Path, config: ModelConfig) -> None:
    """Refuse a config whose weights (read, then copied into the model) exceed the memory limit."""
    limit = memory_limit()
    need = 2 * parameter_count(config) * FLOAT_BYTES
    if limit is not None and need > limit:
        raise ModelFileError(path, f"describes {config.describe()}, whose weights need about {gigabytes(need)} "
                             f"to load, over the limit of {gigabytes(limit)} ({MEMORY_SHARE:.0%} of this machine's memory)")


def load_model(path: str | os.PathLike, *, input_size: int | None = None, num_classes: int | None = None) -> SavedModel:
    """Read and validate a model file; any problem raises ModelFileError naming the file.

    `input_size` and `num_classes`, when given, are what the caller will feed and expect: a model
    of another shape is refused here rather than failing later in a matrix product.
    """
    path = Path(path)
    with _open_regular(path) as f:
        if f.read(len(NPY_MAGIC)) == NPY_MAGIC:
            raise ModelFileError(path, "is a single .npy array, not a mnist-tui model (.npz)")
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as archive:
                return _load(path, archive, input_size, num_classes)
        except ModelFileError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as e:
            raise ModelFileError(path, f"is not a readable .npz model file (truncated or foreign): {e}") from None
        except Exception as e:  # zipfile raises assorted errors on corrupt directories
            raise ModelFileError(path, f"is corrupt: {type(e).__name__}: {e}") from None


def _load(path: Path, archive: zipfile.ZipFile, input_size: int | None, num_classes: int | None) -> SavedModel:
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
    expected_keys = {f"{p}{i}" for i in range(layers) for p in "Wb"}
    extra = sorted(k for k in members if _PARAM_NAME.fullmatch(k) and k not in expected_keys)
    if extra:
        raise ModelFileError(path, f"has arrays {extra} beyond the {layers} layers of {config.describe()}")
    _params_budget(path, config)
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        for key, shape in ((f"W{i}", (fan_in, fan_out)), (f"b{i}", (fan_out,))):
            if key not in members:
                raise ModelFileError(path, f"is missing array {key} of {config.describe()}")
            value = _member(path, archive, members[key], math.prod(shape) * FLOAT_BYTES,
                            check=_param_check(path, key, shape, config))
            if not np.isfinite(value).all():
                raise ModelFileError(path, f"array {key} contains NaN or infinite values")
            params.append(value)
    return SavedModel(MLP.from_params(config, params), normalization, metadata)
