"""IDX files (the MNIST format), gzip-compressed or raw: read, validate, write.

Layout (big-endian): two zero bytes, the element type (0x08 = unsigned byte), the number of
dimensions, one uint32 per dimension, then the data row-major. Images have magic 0x00000803
(N, rows, cols), labels 0x00000801 (N,).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from data.errors import IdxFormatError

UBYTE = 0x08
MAGIC = {"images": 0x00000803, "labels": 0x00000801}
GZIP_MAGIC = b"\x1f\x8b"
NUM_CLASSES = 10


def _too_long(path: Path, max_bytes: int, got: str) -> IdxFormatError:
    return IdxFormatError(
        f"{path}: {got}, expected {max_bytes:,} bytes of IDX content (the file is damaged or "
        "not the official one; reading stopped there)"
    )


def iter_content(path: str | os.PathLike, chunk: int = 1 << 20, max_bytes: int | None = None) -> Iterator[bytes]:
    """The raw IDX bytes of `path` in chunks: decompressed if it is gzip (by its first bytes).

    A file whose name says .gz but that does not hold gzip data is refused rather than read raw.
    With `max_bytes` (the registry knows every file's size), reading stops as soon as the content
    passes it: a small gzip bomb costs one chunk of memory and no time.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head != GZIP_MAGIC:
            if ".gz" in path.suffixes:
                raise IdxFormatError(
                    f"{path}: not a gzip file (starts with bytes {head.hex() or 'nothing'}, "
                    f"expected {GZIP_MAGIC.hex()})"
                )
            size = os.fstat(f.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise _too_long(path, max_bytes, f"holds {size:,} bytes")
            while block := f.read(chunk):
                yield block
            return
        gz = gzip.GzipFile(fileobj=f)
        total = 0
        try:
            while block := gz.read(chunk if max_bytes is None else min(chunk, max_bytes + 1 - total)):
                total += len(block)
                if max_bytes is not None and total > max_bytes:
                    raise _too_long(path, max_bytes, f"decompresses to more than {max_bytes:,} bytes")
                yield block
        except EOFError:
            raise IdxFormatError(
                f"{path}: truncated gzip data (the compressed stream ends early: "
                "the file was cut short, get it again)"
            ) from None
        except (gzip.BadGzipFile, zlib.error) as e:
            raise IdxFormatError(f"{path}: corrupt gzip data ({e})") from None


def read_content(path: str | os.PathLike, max_bytes: int | None = None) -> bytes:
    """All raw IDX bytes of `path` (see `iter_content`), refused past `max_bytes`."""
    return b"".join(iter_content(path, max_bytes=max_bytes))


def content_sha256(path: str | os.PathLike, max_bytes: int | None = None) -> str:
    """sha256 (hex) of the decompressed content of `path`, streamed without holding it all."""
    digest = hashlib.sha256()
    for block in iter_content(path, max_bytes=max_bytes):
        digest.update(block)
    return digest.hexdigest()


def parse(content: bytes, kind: str, name: str | os.PathLike = "<bytes>") -> np.ndarray:
    """Decode IDX `content` holding `kind` ('images' or 'labels') into a read-only uint8 array.

    The array views `content` (no copy). Labels are checked to lie in 0-9.
    """
    expected_magic = MAGIC[kind]
    if len(content) < 4:
        raise IdxFormatError(f"{name}: truncated: expected at least 4 header bytes, got {len(content)}")
    zeros, dtype, ndim = struct.unpack(">HBB", content[:4])
    if zeros != 0 or ndim != expected_magic & 0xFF:
        raise IdxFormatError(
            f"{name}: wrong magic number 0x{int.from_bytes(content[:4], 'big'):08X}, "
            f"expected 0x{expected_magic:08X} ({kind})"
        )
    if dtype != UBYTE:
        raise IdxFormatError(
            f"{name}: bad element type 0x{dtype:02X}, expected 0x{UBYTE:02X} (unsigned byte)"
        )
    header = 4 + 4 * ndim
    if len(content) < header:
        raise IdxFormatError(f"{name}: truncated: expected {header} header bytes, got {len(content)}")
    dims = struct.unpack(f">{ndim}I", content[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    got = len(content) - header
    if got != expected:
        what = "truncated" if got < expected else "too long"
        raise IdxFormatError(
            f"{name}: {what}: dimensions {' x '.join(map(str, dims))} need {expected} bytes of data, got {got}"
        )
    array = np.frombuffer(content, dtype=np.uint8, offset=header).reshape(dims)
    if kind == "labels" and array.size and int(array.max()) >= NUM_CLASSES:
        bad = int(np.argmax(array >= NUM_CLASSES))
        raise IdxFormatError(
            f"{name}: label {int(array[bad])} at index {bad} is outside 0-{NUM_CLASSES - 1}"
        )
    return array


def read_idx(path: str | os.PathLike, kind: str) -> np.ndarray:
    """Read and validate the IDX file at `path` holding `kind` ('images' or 'labels')."""
    return parse(read_content(path), kind, path)


def check_counts(images: np.ndarray, labels: np.ndarray, images_name: str, labels_name: str) -> None:
    """Refuse an image file and a label file that do not describe the same number of examples."""
    if len(images) != len(labels):
        raise IdxFormatError(
            f"{images_name} holds {len(images)} images but {labels_name} holds {len(labels)} labels; "
            "expected the same count"
        )


def encode(array: np.ndarray) -> bytes:
    """The IDX bytes of a uint8 array (magic from its number of dimensions)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, UBYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write `array` as an IDX file, gzip-compressed if `path` ends in .gz."""
    content = encode(array)
    if str(path).endswith(".gz"):
        content = gzip.compress(content, mtime=0)
    Path(path).write_bytes(content)
