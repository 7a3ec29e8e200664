"""A run's complete settings: which data, which network, how it is trained."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from nn_core.config import ConfigError, ModelConfig, TrainConfig, from_dict, to_dict
from nn_core.memory import MEMORY_SHARE, estimate_training_bytes, gigabytes, memory_limit

DATASETS = ("mnist", "fashion-mnist")
NORMALIZATIONS = ("simple", "normal")
TRAIN_IMAGES = 60000
"""Training images in every registered dataset (MNIST and Fashion-MNIST alike)."""
TEST_IMAGES = 10000


@dataclass(frozen=True)
class DataConfig:
    """Which dataset and how it is split and scaled; `data_dir` overrides where files are found."""

    dataset: str = "mnist"
    normalization: str = "simple"
    val_size: int = 5000
    limit: int | None = None
    data_dir: str | None = None

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ConfigError("dataset", self.dataset, "one of " + ", ".join(DATASETS))
        if self.normalization not in NORMALIZATIONS:
            raise ConfigError("normalization", self.normalization, "one of " + ", ".join(NORMALIZATIONS))
        if isinstance(self.val_size, bool) or not isinstance(self.val_size, int) or not 0 <= self.val_size < TRAIN_IMAGES:
            raise ConfigError("val_size", self.val_size, f"a whole number from 0 to {TRAIN_IMAGES - 1}")
        left = TRAIN_IMAGES - self.val_size
        if self.limit is not None and (
            isinstance(self.limit, bool) or not isinstance(self.limit, int) or not 1 <= self.limit <= left
        ):
            raise ConfigError(
                "limit", self.limit,
                f"1 to {left} (what {self.val_size} for validation leave) or none for all",
            )


@dataclass(frozen=True)
class RunConfig:
    """Everything needed to reproduce a run; stored as JSON with the run."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        """Settings that only make sense together: checked here so every front end refuses them alike."""
        self.train.dropout_rates(len(self.model.hidden_sizes))
        if self.train.early_stop and self.data.val_size == 0:
            raise ConfigError("early_stop", self.train.early_stop,
                              "0 (off) when there is no validation set (val_size 0): it stops on the validation loss")

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": {f.name: getattr(self.data, f.name) for f in fields(DataConfig)},
            "model": to_dict(self.model),
            "train": to_dict(self.train),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        unknown = sorted(set(values) - {"data", "model", "train"})
        if unknown:
            raise ConfigError(unknown[0], values[unknown[0]], "one of data, model, train")
        return cls(
            data=from_dict(DataConfig, dict(values.get("data", {}))),
            model=from_dict(ModelConfig, dict(values.get("model", {}))),
            train=from_dict(TrainConfig, dict(values.get("train", {}))),
        )

    def flat(self) -> dict[str, Any]:
        """One level of `section.field` keys, for side-by-side comparison of runs."""
        return {f"{section}.{k}": v for section, d in self.to_dict().items() for k, v in d.items()}


class MemoryLimitError(ConfigError):
    """A run over the memory limit; `summary` is the short form the dashboard's error line shows."""

    def __init__(self, field: str, value: Any, expected: str, summary: str) -> None:
        super().__init__(field, value, expected)
        self.summary = summary


def check_memory(config: RunConfig, limit: int | None = None) -> None:
    """Refuse (ConfigError) a run whose estimated memory exceeds `limit` (default: nn_core.memory's share).

    The error names the field that drives the estimate: the widths, or the batch size when the
    per-batch buffers are the larger part.
    """
    limit = memory_limit() if limit is None else limit
    train_rows = config.data.limit or TRAIN_IMAGES - config.data.val_size
    estimate = estimate_training_bytes(config.model, config.train, train_rows, config.data.val_size + TEST_IMAGES)
    if limit is None or estimate.total <= limit:
        return
    field = "batch_size" if estimate.batch > estimate.model else "hidden_sizes"
    value = config.train.batch_size if field == "batch_size" else list(config.model.hidden_sizes)
    raise MemoryLimitError(
        field, value,
        f"a run within {gigabytes(limit)} ({MEMORY_SHARE:.0%} of this machine's memory); "
        f"this one would need about {gigabytes(estimate.total)} (model {gigabytes(estimate.model)}, "
        f"batches {gigabytes(estimate.batch)})",
        f"needs about {gigabytes(estimate.total)}, over the limit of {gigabytes(limit)} "
        f"({MEMORY_SHARE:.0%} of RAM)",
    )
