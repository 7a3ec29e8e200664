"""Fuzz of damaged model files and data files (issue 9, "Done when"): every case runs real commands
in subprocesses and counts tracebacks, hangs, refused files that changed, and peak memory.

    python bench/fuzz_files.py [--quick] [--only models|data] [--timeout 60] [--keep DIR]

Model cases replace the model file of a freshly trained run and run `predict`; data cases build a
--data-dir with one damaged file (the other three link to the real ones) and run `data verify`,
`data info` and, for some, `train`. A case passes when the command exits 0, 1 or 2 with no Python
traceback, within the timeout, below 1 GB of peak RSS (the child's VmHWM, see tests/measured_run.py), and leaves the
damaged file byte-identical. Prints one line per failing case and a summary table.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hostile_zips import deflated_bomb_zip, npy_header, zip_bytes  # noqa: E402  (tests/hostile_zips.py)
from measured_run import run_measured  # noqa: E402  (tests/measured_run.py)

COMMAND = [sys.executable, "-m", "tui"]
RSS_LIMIT_KIB = 1024 * 1024
DATA = Path(os.environ.get("MNIST_TUI_DATA", ROOT.parent / "shared" / "datasets")) / "mnist"
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@dataclass
class Outcome:
    case: str
    command: str
    returncode: int | None
    peak_kib: int
    traceback: bool
    modified: bool

    @property
    def ok(self) -> bool:
        return (self.returncode in (0, 1, 2) and not self.traceback and not self.modified
                and self.peak_kib < RSS_LIMIT_KIB)


def digest(path: Path) -> tuple | None:
    """What identifies the file's bytes: stat fields, plus a streamed sha256 below 256 MB (a sparse
    10 GB file is compared by its stat alone, which any write changes)."""
    try:
        if not path.is_file() or path.is_symlink():
            return None
        st = path.stat()
        if st.st_size >= 256 << 20:
            return st.st_size, st.st_mtime_ns, st.st_ino
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        return st.st_size, st.st_mtime_ns, st.st_ino, digest.hexdigest()
    except OSError:
        return None


# ----- model files ---------------------------------------------------------------------------

def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def model_cases(valid: bytes, quick: bool) -> Iterator[tuple[str, bytes | Callable[[Path], None]]]:
    """(name, file content or a function making the file) for every model case."""
    base = members_of_bytes(valid)
    config = json.loads(str(np.load(io.BytesIO(base["config.npy"]))))
    rng = np.random.default_rng(9)
    for i in range(10 if quick else 30):
        yield f"truncate-{i}", valid[: int(len(valid) * i / 30)]
    for i in range(10 if quick else 60):
        data = bytearray(valid)
        for _ in range(int(rng.integers(1, 40))):
            data[int(rng.integers(0, len(data)))] = int(rng.integers(0, 256))
        yield f"flip-{i}", bytes(data)
    for i in range(5 if quick else 15):
        prefix = [b"", b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"PK\x05\x06"][i % 4]
        yield f"random-{i}", prefix + rng.bytes(int(rng.integers(0, 20000)))

    def changed(**replace: bytes | None) -> bytes:
        members = dict(base)
        for key, value in replace.items():
            name = key.replace("__", ".") + ".npy" if not key.endswith("_raw") else key[:-4]
            if value is None:
                members.pop(name, None)
            else:
                members[name] = value
        return zip_bytes(members)

    text = lambda s: npy(np.array(s))  # noqa: E731
    w0 = base["W0.npy"]
    shape0 = np.load(io.BytesIO(w0)).shape
    for key in ("format", "version", "config", "normalization", "metadata", "W0", "b0", "W1", "b1"):
        yield f"missing-{key}", changed(**{key: None})
        yield f"object-{key}", changed(**{key: npy(np.array([{"x": 1}], dtype=object))})
        yield f"float64-{key}", changed(**{key: npy(np.zeros(3))})
        yield f"huge-text-{key}", changed(**{key: text("x" * (3 << 20))})
    for name, value in [
        ("nested-config", "[" * 100_000 + "]" * 100_000),
        ("nested-config-obj", '{"a":' * 50_000 + "1" + "}" * 50_000),
        ("config-list", "[1, 2]"),
        ("config-bad-json", "{hidden"),
        ("config-input-100", json.dumps({**config, "input_size": 100})),
        ("config-classes-3", json.dumps({**config, "num_classes": 3})),
        ("config-wide", json.dumps({**config, "hidden_sizes": [10**7]})),
        ("config-huge-int", json.dumps({**config, "hidden_sizes": [10**30]})),
        ("config-negative", json.dumps({**config, "hidden_sizes": [-4]})),
        ("config-unknown", json.dumps({**config, "evil": 1})),
        ("config-activation", json.dumps({**config, "activation": "\x1b]0;pwned\x07"})),
        ("config-bool", json.dumps({**config, "input_size": True})),
        ("config-float", json.dumps({**config, "input_size": 784.0})),
        ("config-nan", json.dumps({**config, "input_size": float("nan")})),
    ]:
        yield name, changed(config=text(value))
    for i, value in enumerate([
        '{"foo": 1}', '{"kind": "normal", "mean": 0, "std": 0}', '{"kind": "normal", "mean": NaN, "std": 1}',
        '{"kind": "normal", "mean": 0, "std": Infinity}', '{"kind": "normal", "mean": 0, "std": -1}',
        '{"kind": "weird", "mean": 0, "std": 1}', '{"kind": "normal", "mean": "0", "std": 1}',
        '{"kind": "normal", "mean": 0, "std": 1e-320}', '[1, 2]', '"simple"', "1e999", "[" * 100_000,
        '{"kind": "normal", "mean": 1e308, "std": 1e-308}', '{"kind": "normal", "mean": 0, "std": true}',
    ]):
        yield f"normalization-{i}", changed(normalization=text(value))
    for i, value in enumerate([np.array(2), np.array(-1), np.array(2**63, dtype=np.uint64), np.array("1"),
                               np.array([1]), np.array(1.0), np.array(True)]):
        yield f"version-{i}", changed(version=npy(value))
    yield "format-wrong", changed(format=text("something-else"))
    yield "format-escape", changed(format=text("\x1b[2J"))
    yield "extra-member", zip_bytes({**base, "evil.txt": b"x"})
    yield "extra-layer", changed(W7=npy(np.zeros((3, 3), np.float32)))
    yield "extra-name", zip_bytes({**base, "../../etc/passwd.npy": npy(np.zeros(1, np.float32))})
    yield "duplicate-member", zip_bytes([*base.items(), ("W0.npy", w0)])
    yield "w0-transposed", changed(W0=npy(np.zeros(shape0[::-1], np.float32)))
    yield "w0-nan", changed(W0=npy(np.full(shape0, np.nan, np.float32)))
    yield "w0-fortran", changed(W0=npy(np.asfortranarray(np.zeros(shape0, np.float32))))
    yield "w0-big-endian", changed(W0=npy(np.zeros(shape0, ">f4")))
    yield "w0-int", changed(W0=npy(np.zeros(shape0, np.int32)))
    yield "w0-header-lies", changed(W0=npy_header(shape0) + bytes(16))
    yield "w0-header-huge-shape", changed(W0=npy_header((10**6, 10**6)) + bytes(16))
    yield "w0-header-garbage", changed(W0=b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 65535)
    yield "w0-npy-v3", changed(W0=b"\x93NUMPY\x03\x00" + w0[8:])
    yield "deflated", zip_bytes(base, zipfile.ZIP_DEFLATED)
    yield "bzip2", zip_bytes(base, zipfile.ZIP_BZIP2)
    yield "lzma", zip_bytes(base, zipfile.ZIP_LZMA)
    yield "bzip2-bomb", bzip2_bomb_zip(base)
    without_w0 = {k: v for k, v in base.items() if k != "W0.npy"}
    for total in ([64 << 20] if quick else [64 << 20, 1 << 30, 2 << 30, 5 << 30]):
        yield f"bomb-right-header-{total >> 20}M", deflated_bomb_zip(without_w0, "W0.npy", npy_header(shape0), total)
        yield f"bomb-huge-header-{total >> 20}M", deflated_bomb_zip(
            without_w0, "W0.npy", npy_header((total // 4 - 32,)), total)
        yield f"bomb-text-{total >> 20}M", deflated_bomb_zip(
            {k: v for k, v in base.items() if k != "metadata.npy"}, "metadata.npy", npy_header((), "<U1"), total)
    yield "empty", b""
    yield "fifo", lambda path: os.mkfifo(path)
    yield "folder", lambda path: path.mkdir()
    yield "dev-zero", lambda path: path.symlink_to("/dev/zero")
    yield "dev-urandom", lambda path: path.symlink_to("/dev/urandom")
    yield "dangling-link", lambda path: path.symlink_to(path.parent / "nowhere")
    yield "single-npy", npy(np.zeros(3, np.float32))


def bzip2_bomb_zip(base: dict[str, bytes]) -> bytes:
    """A bzip2-compressed W0 that inflates to 512 MB (zipfile would inflate it in one call)."""
    header = npy_header((784, 16))
    compressor = bz2.BZ2Compressor(9)
    parts = [compressor.compress(header)]
    block = bytes(8 << 20)
    for _ in range(64):
        parts.append(compressor.compress(block))
    parts.append(compressor.flush())
    members = {k: v for k, v in base.items() if k != "W0.npy"}
    buffer = io.BytesIO(zip_bytes(members))
    with zipfile.ZipFile(buffer, "a") as z:
        info = zipfile.ZipInfo("W0.npy")
        info.compress_type = zipfile.ZIP_BZIP2
        raw = b"".join(parts)
        info.CRC, info.compress_size, info.file_size = 0, len(raw), len(header) + (512 << 20)
        z.fp.seek(z.start_dir)
        info.header_offset = z.fp.tell()
        z.fp.write(info.FileHeader(zip64=False))
        z.fp.write(raw)
        z.start_dir = z.fp.tell()
        z.filelist.append(info)
        z.NameToInfo["W0.npy"] = info
        z._didModify = True
    return buffer.getvalue()


def members_of_bytes(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


# ----- data files ----------------------------------------------------------------------------

def idx_header(dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


def gzip_stream(header: bytes, total: int, level: int = 1) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=level, mtime=0) as f:
        f.write(header)
        left, block = total - len(header), bytes(8 << 20)
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    return buffer.getvalue()


def data_cases(quick: bool) -> Iterator[tuple[str, str, bytes | Callable[[Path], None]]]:
    """(name, file replaced, content or maker) for every data case."""
    rng = np.random.default_rng(7)
    for filename in FILES:
        real = (DATA / filename).read_bytes()
        images = "images" in filename
        count = 60000 if filename.startswith("train") else 10000
        dims = (count, 28, 28) if images else (count,)
        short = filename.split("-")[0] + ("-img" if images else "-lbl")
        for i in range(3 if quick else 8):
            yield f"{short}-truncate-{i}", filename, real[: int(len(real) * i / 8)]
        for i in range(3 if quick else 8):
            data = bytearray(real)
            for _ in range(int(rng.integers(1, 20))):
                data[int(rng.integers(0, len(data)))] = int(rng.integers(0, 256))
            yield f"{short}-flip-{i}", filename, bytes(data)
        yield f"{short}-random", filename, rng.bytes(5000)
        yield f"{short}-not-gzip", filename, idx_header(dims) + bytes(100)
        yield f"{short}-empty", filename, b""
        for total in ([200 << 20] if quick else [60 << 20, 500 << 20, 2 << 30]):
            yield f"{short}-bomb-{total >> 20}M", filename, gzip_stream(idx_header(dims), total)
            yield f"{short}-bomb-huge-dims-{total >> 20}M", filename, gzip_stream(idx_header((2**32 - 1, 28, 28)), total)
        yield f"{short}-multi-member-bomb", filename, real + gzip_stream(b"", 300 << 20)
        yield f"{short}-huge-dims", filename, gzip.compress(idx_header((2**32 - 1, 2**32 - 1, 28)) + bytes(1000))
        yield f"{short}-wrong-kind", filename, gzip.compress(idx_header((count,) if images else (count, 28, 28)) + bytes(100))
        yield f"{short}-bad-crc", filename, real[:-8] + b"\0\0\0\0" + real[-4:]
        yield f"{short}-raw-sparse-10G", filename.removesuffix(".gz"), lambda p: _sparse(p, 10 << 30)
        yield f"{short}-fifo", filename, lambda p: os.mkfifo(p)
        yield f"{short}-folder", filename, lambda p: p.mkdir()
        yield f"{short}-dev-zero", filename, lambda p: p.symlink_to("/dev/zero")
        yield f"{short}-raw-dev-zero", filename.removesuffix(".gz"), lambda p: p.symlink_to("/dev/zero")


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        f.truncate(size)


# ----- running -------------------------------------------------------------------------------

def make(path: Path, content: bytes | Callable[[Path], None]) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)


def run_case(case: str, argv: list[str], env: dict[str, str], target: Path, timeout: float) -> Outcome:
    before = digest(target)
    result = run_measured([*COMMAND, *argv], env, timeout=timeout)
    output = result.stdout + result.stderr
    return Outcome(case, " ".join(argv[:2]), result.returncode, result.peak_rss_kib,
                   "Traceback" in output, digest(target) != before)


def fuzz_models(work: Path, quick: bool, timeout: float, report: Callable[[Outcome], None]) -> None:
    home = work / "home"
    env = {**os.environ, "MNIST_TUI_HOME": str(home), "XDG_CACHE_HOME": str(work / "cache"),
           "MNIST_TUI_DATA": str(DATA.parent), "COLUMNS": "120"}
    trained = run_measured([*COMMAND, "train", "--json", "--limit", "500", "--val-size", "100", "--epochs", "1",
                            "--hidden-sizes", "16"], env, timeout=300)
    assert trained.returncode == 0, trained.stderr
    sys.path.insert(0, str(ROOT))
    from runs.store import RunStore

    with RunStore.open(home) as store:
        target = Path(store.model_path(1))
    valid = target.read_bytes()
    for case, content in model_cases(valid, quick):
        make(target, content)
        report(run_case(f"model/{case}", ["predict", "--run", "1", "--count", "1"], env, target, timeout))
    make(target, valid)


def fuzz_data(work: Path, quick: bool, timeout: float, report: Callable[[Outcome], None]) -> None:
    env = {**os.environ, "MNIST_TUI_HOME": str(work / "home"), "XDG_CACHE_HOME": str(work / "cache"), "COLUMNS": "120"}
    for i, (case, filename, content) in enumerate(data_cases(quick)):
        folder = work / f"data-{i}"
        folder.mkdir()
        for name in FILES:
            if name != filename and name != filename + ".gz":
                (folder / name).symlink_to(DATA / name)
        target = folder / filename
        make(target, content)
        commands = [["data", "verify", "--data-dir", str(folder)], ["data", "info", "--data-dir", str(folder)]]
        if i % 4 == 0 or "bomb" in case:
            commands.append(["train", "--json", "--epochs", "1", "--limit", "200", "--val-size", "100",
                             "--data-dir", str(folder)])
        for argv in commands:
            report(run_case(f"data/{case}", argv, env, target, timeout))
        make(target, b"")  # free the disk
        shutil.rmtree(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller cases (a smoke run)")
    parser.add_argument("--only", choices=("models", "data"))
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a command counts as hung")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # zipfile warns about the duplicate member it is asked to write
    work = args.keep or Path(tempfile.mkdtemp(prefix="mnist-tui-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if not outcome.ok:
            print(f"FAIL {outcome.case} [{outcome.command}] exit {outcome.returncode} "
                  f"peak {outcome.peak_kib // 1024} MB traceback={outcome.traceback} modified={outcome.modified}",
                  flush=True)

    try:
        if args.only in (None, "models"):
            (work / "models").mkdir(exist_ok=True)
            fuzz_models(work / "models", args.quick, args.timeout, report)
        if args.only in (None, "data"):
            (work / "data").mkdir(exist_ok=True)
            fuzz_data(work / "data", args.quick, args.timeout, report)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'kind':<8} {'cases':>6} {'commands':>9} {'tracebacks':>11} {'hangs':>6} {'modified':>9} "
          f"{'>1GB':>5} {'peak MB':>8} {'exit 0/1/2':>12}")
    for kind in ("model", "data"):
        mine = [o for o in outcomes if o.case.startswith(kind + "/")]
        if not mine:
            continue
        codes = "/".join(str(sum(o.returncode == c for o in mine)) for c in (0, 1, 2))
        print(f"{kind:<8} {len({o.case for o in mine}):>6} {len(mine):>9} {sum(o.traceback for o in mine):>11} "
              f"{sum(o.returncode is None for o in mine):>6} {sum(o.modified for o in mine):>9} "
              f"{sum(o.peak_kib >= RSS_LIMIT_KIB for o in mine):>5} {max(o.peak_kib for o in mine) // 1024:>8} "
              f"{codes:>12}")
    accepted = sorted({o.case for o in outcomes if o.returncode == 0})
    print(f"accepted (exit 0, the damage left the content valid or unused): {', '.join(accepted) or 'none'}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
