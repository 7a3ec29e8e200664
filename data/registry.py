"""The datasets mnist-tui knows: file names, content checksums, class names and mirrors."""

from __future__ import annotations

from dataclasses import dataclass

from data.errors import UnknownDatasetError

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
IMAGE_SHAPE = (28, 28)
IMAGE_PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]

_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: `sha256` maps each file name to the sha256 of its decompressed (raw IDX) content.

    The content hash, not the .gz hash, is what identifies the data: the same IDX bytes are
    published compressed differently (Debian and our shared copy re-compressed some files).
    `mirrors` are base URLs tried in order; a file's URL is base + file name.
    """

    name: str
    title: str
    files: dict[str, str]
    sha256: dict[str, str]
    class_names: tuple[str, ...]
    mirrors: tuple[str, ...]
    train_size: int = 60000
    test_size: int = 10000

    def file_kind(self, role: str) -> str:
        """'images' or 'labels': what the IDX file for `role` must hold."""
        return role.split("_")[1]

    def content_size(self, role: str) -> int:
        """Bytes of the decompressed IDX content for `role`: its header, then one byte per pixel or label.

        Known before reading, so a file that inflates past it (a gzip bomb) is refused early.
        """
        count = self.train_size if role.startswith("train") else self.test_size
        if self.file_kind(role) == "images":
            return 4 + 4 * 3 + count * IMAGE_PIXELS
        return 4 + 4 + count

    def role_of(self, filename: str) -> str:
        """The role whose registry file name is `filename` (KeyError if none)."""
        return {name: role for role, name in self.files.items()}[filename]


DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST handwritten digits",
        files=dict(_FILES),
        sha256={
            "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        class_names=tuple(str(d) for d in range(10)),
        # The order torchvision and TensorFlow Datasets use today; LeCun's site last (often down).
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        title="Zalando Fashion-MNIST",
        files=dict(_FILES),
        sha256={
            "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    ),
}


def get_spec(name: str) -> DatasetSpec:
    """The spec of dataset `name`; UnknownDatasetError (a KeyError) naming the known ones otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownDatasetError(f"unknown dataset {name!r}, expected one of {', '.join(DATASETS)}") from None
