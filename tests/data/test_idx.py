"""IDX parser: round trip of small files the tests write, and every format error."""

import gzip
import hashlib
import struct

import numpy as np
import pytest

from data.errors import IdxFormatError
from data.idx import check_counts, content_sha256, encode, read_content, read_idx, write_idx


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)


@pytest.fixture
def labels():
    return np.array([0, 9, 3, 3, 1, 7, 5], dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_round_trip(tmp_path, images, labels, suffix):
    write_idx(tmp_path / f"i{suffix}", images)
    write_idx(tmp_path / f"l{suffix}", labels)
    got_images = read_idx(tmp_path / f"i{suffix}", "images")
    got_labels = read_idx(tmp_path / f"l{suffix}", "labels")
    assert got_images.dtype == np.uint8 and got_labels.dtype == np.uint8
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_header_layout_matches_the_format(images):
    content = encode(images)
    assert content[:4] == b"\x00\x00\x08\x03"
    assert struct.unpack(">3I", content[4:16]) == (7, 28, 28)
    assert len(content) == 16 + images.size


def test_content_sha256_hashes_decompressed_bytes(tmp_path, labels):
    write_idx(tmp_path / "l.gz", labels)
    assert content_sha256(tmp_path / "l.gz") == hashlib.sha256(encode(labels)).hexdigest()
    assert read_content(tmp_path / "l.gz") == encode(labels)


def test_not_gzip(tmp_path, labels):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(encode(labels))
    with pytest.raises(IdxFormatError, match="not a gzip file") as e:
        read_idx(path, "labels")
    assert str(path) in str(e.value)


def test_truncated_gzip(tmp_path, images):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(encode(images))[:-100])
    with pytest.raises(IdxFormatError, match="truncated gzip") as e:
        read_idx(path, "images")
    assert str(path) in str(e.value)


def test_truncated_payload_says_expected_and_got(tmp_path, images):
    path = tmp_path / "images"
    path.write_bytes(encode(images)[:-10])
    with pytest.raises(IdxFormatError) as e:
        read_idx(path, "images")
    message = str(e.value)
    assert str(path) in message and "truncated" in message
    assert f"need {images.size} bytes" in message and f"got {images.size - 10}" in message


def test_too_long_payload(tmp_path, labels):
    path = tmp_path / "labels"
    path.write_bytes(encode(labels) + b"\x00")
    with pytest.raises(IdxFormatError, match="too long"):
        read_idx(path, "labels")


def test_wrong_magic(tmp_path, labels, images):
    path = tmp_path / "labels.gz"
    write_idx(path, labels)
    with pytest.raises(IdxFormatError, match=r"wrong magic number 0x00000801, expected 0x00000803"):
        read_idx(path, "images")
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(IdxFormatError, match="wrong magic"):
        read_idx(garbage, "labels")


def test_bad_element_type(tmp_path):
    path = tmp_path / "floats"
    path.write_bytes(struct.pack(">HBBI", 0, 0x0D, 1, 2) + struct.pack(">2f", 1.0, 2.0))
    with pytest.raises(IdxFormatError, match=r"bad element type 0x0D, expected 0x08"):
        read_idx(path, "labels")


def test_label_outside_range(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, np.array([1, 2, 10, 3], dtype=np.uint8))
    with pytest.raises(IdxFormatError, match=r"label 10 at index 2 is outside 0-9") as e:
        read_idx(path, "labels")
    assert str(path) in str(e.value)


def test_counts_differ(images, labels):
    with pytest.raises(IdxFormatError, match="holds 7 images but b.gz holds 6 labels"):
        check_counts(images, labels[:6], "a.gz", "b.gz")
    check_counts(images, labels, "a.gz", "b.gz")


def test_empty_file(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(IdxFormatError, match="truncated"):
        read_idx(path, "labels")
