"""Zip (.npz) files built the way a hostile model file is: chosen members, a deflate bomb whose
member inflates to a size it really declares, hand-made .npy headers. Shared by the model-file
tests (tests/nn_core) and bench/fuzz_files.py."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path


def members_of(path: Path) -> dict[str, bytes]:
    """Every member of the zip file at `path`, by name."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def zip_bytes(members: dict[str, bytes] | list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in items:
            z.writestr(name, data)
    return buffer.getvalue()


def deflated_bomb_zip(members: dict[str, bytes], name: str, header: bytes, total: int) -> bytes:
    """`members` plus member `name` that inflates to `total` bytes (`header`, then zeros), compressed streaming."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    crc, parts, left = zlib.crc32(header), [compressor.compress(header)], total - len(header)
    block = bytes(8 << 20)
    while left > 0:
        chunk = block[: min(left, len(block))]
        crc = zlib.crc32(chunk, crc)
        parts.append(compressor.compress(chunk))
        left -= len(chunk)
    parts.append(compressor.flush())
    raw = b"".join(parts)
    buffer = io.BytesIO(zip_bytes(members))
    with zipfile.ZipFile(buffer, "a") as z:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.CRC, info.compress_size, info.file_size = crc, len(raw), total
        z.fp.seek(z.start_dir)
        info.header_offset = z.fp.tell()
        z.fp.write(info.FileHeader(zip64=total > 0xFFFFFFFF))
        z.fp.write(raw)
        z.start_dir = z.fp.tell()
        z.filelist.append(info)
        z.NameToInfo[name] = info
        z._didModify = True
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], dtype: str = "<f4") -> bytes:
    """A version 1.0 .npy header (128 bytes) for an array of `shape` and `dtype`, without its data."""
    text = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (dtype, shape)
    text = text.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode()
