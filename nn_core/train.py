"""The training loop: shuffled mini-batches, one EpochRecord per epoch, cancel and divergence handling.

Reported losses are the data (cross-entropy) loss only, without the L1/L2 penalty, so runs with
different regularisation compare on one scale. train_loss and train_acc are running means over
the epoch's batches (each batch scored just before its update: free, and what PyTorch loops
usually print); val_* and test_* come from a full pass over those sets after the epoch.

Each epoch's work runs with the engine's BLAS thread count (nn_core.threads) and with subnormal
floats flushed to zero (nn_core.fpenv), both restored before the epoch's record is yielded, so
the code consuming the records runs in the caller's own settings.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

from nn_core.augment import Augmenter
from nn_core.checkpoint import TrainState, restore_rng
from nn_core.config import TrainConfig
from nn_core.dropout import Dropout
from nn_core.fpenv import flush_subnormals
from nn_core.layer_stats import LayerStats, dead_note
from nn_core.metrics import loss_and_accuracy
from nn_core.model import MLP
from nn_core.optimizers import make_optimizer
from nn_core.regularizers import make_penalties
from nn_core.schedules import make_schedule
from nn_core.stalls import stall_message
from nn_core.threads import blas_threads, engine_blas_threads

DIVERGED_LOSS = 100.0
"""Mean batch loss (nats per sample) treated as divergence; chance level is ln(10) = 2.3.

Past it the logits have exploded (the true class gets probability e^-100): ReLU networks then
die or overflow to NaN a few batches later, so the run is stopped with advice instead.
"""


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's numbers; val_*/test_* are None when that split was not given.

    `seconds` is the wall time of the epoch's training plus its val/test evaluation.
    """

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    test_loss: float | None
    test_acc: float | None
    lr: float
    seconds: float
    layers: list[dict] | None = None
    """Per-layer statistics (nn_core.layer_stats) when the Trainer was given a LayerStats."""

    def as_dict(self) -> dict:
        record = asdict(self)
        if record["layers"] is None:
            del record["layers"]
        return record


def _checked_split(name: str, split, model: MLP) -> tuple[np.ndarray, np.ndarray] | None:
    """(x float, y intp) with shapes and label range checked, so a bad split fails before training."""
    if split is None:
        return None
    x, y = split
    x = np.asarray(x)
    y = np.asarray(y)
    cfg = model.config
    if x.ndim != 2 or x.shape[1] != cfg.input_size:
        raise ValueError(f"{name}: x has shape {x.shape}, expected (n, {cfg.input_size})")
    if y.shape != (x.shape[0],):
        raise ValueError(f"{name}: y has shape {y.shape}, expected ({x.shape[0]},) to match x")
    if x.shape[0] == 0:
        raise ValueError(f"{name}: is empty, expected at least one sample")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= cfg.num_classes:
        raise ValueError(f"{name}: labels must be integers in [0, {cfg.num_classes - 1}]")
    if x.dtype != model.dtype:
        x = x.astype(model.dtype)
    return x, y.astype(np.intp, copy=False)


class _BatchBuffers:
    """One batch's inputs [x, 1] and one-hot targets; `staged` is a contiguous landing place for the
    gathered rows (np.take into the strided `features` view would allocate a temporary each call).

    `staged` lies inside `source`, laid out [1, the rows, 0]: the augmenter gathers the transformed
    images and the bias column from it straight into `x` (see augment.py)."""

    def __init__(self, rows: int, features: int, classes: int, dtype) -> None:
        self.x = np.ones((rows, features + 1), dtype=dtype)
        self.features = self.x[:, :-1]
        self.source = np.zeros(rows * features + 2, dtype=dtype)
        self.source[0] = 1
        self.staged = self.source[1:-1].reshape(rows, features)
        self.onehot = np.empty((rows, classes), dtype=dtype)


class Trainer:
    """Trains `model` in place. Iterate `run()` for one EpochRecord per completed epoch.

    Args:
        model: the MLP to train.
        config: optimiser, learning rate, schedule, batch size, epochs, penalties, seed.
        train, val, test: (x (n, input_size), y (n,)) pairs; val and test are optional.
        on_batch: called as on_batch(epoch, batch, batches) after every batch (1-based).
        layer_stats: optional nn_core.layer_stats.LayerStats; each record then carries `layers`.

    `status` is 'running' until `run()` ends, then 'completed', 'cancelled' or 'diverged';
    `message` explains the last two, and a completed run that stopped early (early_stop).

    Shuffling draws from default_rng((seed, 1)), dropout masks from default_rng((seed, 2)) and
    augmentation from default_rng((seed, 3)): streams independent of the model's initialisation
    and of each other; equal seeds give bit-identical runs.
    Early stopping ends the run `completed` once the validation loss has not improved on its best
    for `early_stop` epochs. A run that predicts one class for a whole epoch, or whose ReLU layer died, has
    stopped learning (nn_core.stalls): it ends `diverged` after that epoch's record, with advice.
    A cancelled run stops before its next batch: the model goes back to the weights of its last
    finished epoch and the partial epoch yields no record. A diverged run (a batch loss above DIVERGED_LOSS or NaN, or
    non-finite weights after an epoch) stops with a message and no record for that epoch; its
    weights are not usable.
    """

    def __init__(
        self,
        model: MLP,
        config: TrainConfig,
        train: tuple[np.ndarray, np.ndarray],
        val: tuple[np.ndarray, np.ndarray] | None = None,
        test: tuple[np.ndarray, np.ndarray] | None = None,
        on_batch: Callable[[int, int, int], None] | None = None,
        resume: TrainState | None = None,
        layer_stats: LayerStats | None = None,
    ) -> None:
        self.model = model
        self.config = config
        self.train = _checked_split("train", train, model)
        self.val = _checked_split("val", val, model)
        self.test = _checked_split("test", test, model)
        self.on_batch = on_batch
        self.layer_stats = layer_stats
        self.optimizer = make_optimizer(config.optimizer, config.momentum, config.weight_decay)
        rates = config.dropout_rates(len(model.config.hidden_sizes))
        self.dropout = Dropout(rates, np.random.default_rng((config.seed, 2))) if any(rates) else None
        self.augmenter = None
        if config.augments:
            self.augmenter = Augmenter.for_inputs(model.config.input_size, config.augment_shift,
                                                  config.augment_rotate, np.random.default_rng((config.seed, 3)))
        if config.early_stop and self.val is None:
            raise ValueError("early_stop: needs a validation set (it stops on the validation loss)")
        self.penalties = make_penalties(config.l1, config.l1_lambda, config.l2_lambda)
        self.schedule = make_schedule(
            config.schedule, config.learning_rate, epochs=config.epochs, decay_rate=config.decay_rate
        )
        self.blas_threads = engine_blas_threads()  # a bad $MNIST_TUI_BLAS_THREADS fails here, not mid-run
        self.status = "running"
        self.message = ""
        self._cancel = threading.Event()
        self._started = False
        self.shuffle_rng = np.random.default_rng((config.seed, 1))
        self.epoch = 0
        self.best_epoch: int | None = None
        self.best_val_acc: float | None = None
        self.best_layers: list[np.ndarray] | None = None
        self._stop_best = (math.inf, 0)
        self._last_layers = [layer.copy() for layer in model.layers]
        if resume is not None:
            self._restore(resume)

    def _restore(self, state: TrainState) -> None:
        """Continue after `state.epoch` (the model already holds that epoch's weights)."""
        if state.epoch > self.config.epochs:
            raise ValueError(f"checkpoint epoch: {state.epoch} is past the run's {self.config.epochs} epochs")
        restore_rng(self.shuffle_rng, state.rngs.get("shuffle"), "shuffle")
        if self.dropout is not None:
            restore_rng(self.dropout.rng, state.rngs.get("dropout"), "dropout")
        if self.augmenter is not None:
            restore_rng(self.augmenter.rng, state.rngs.get("augment"), "augment")
        self.optimizer.restore(state.optimizer, state.optimizer_arrays)
        self.epoch = state.epoch
        self.best_epoch, self.best_val_acc = state.best_epoch, state.best_val_acc
        self.best_layers = None if state.best_layers is None else [a.copy() for a in state.best_layers]
        self._stop_best = (math.inf if state.stop_best_loss is None else state.stop_best_loss, state.stop_best_epoch)
        self._last_layers = [layer.copy() for layer in self.model.layers]

    def state(self) -> TrainState:
        """Everything needed to continue after the last finished epoch (see nn_core.checkpoint).

        Valid between epochs, i.e. while the consumer holds an epoch's record, or after the run
        completed; a cancelled epoch has moved the optimizer and generators on, so then the last
        state taken is the one to keep.
        """
        if self.status in ("cancelled", "diverged"):
            raise RuntimeError(f"a {self.status} run's state is the one taken after its last finished epoch")
        rngs = {"shuffle": self.shuffle_rng.bit_generator.state}
        if self.dropout is not None:
            rngs["dropout"] = self.dropout.rng.bit_generator.state
        if self.augmenter is not None:
            rngs["augment"] = self.augmenter.rng.bit_generator.state
        best_loss, best_loss_epoch = self._stop_best
        return TrainState(
            epoch=self.epoch, rngs=rngs, optimizer=self.optimizer.scalars(), optimizer_arrays=self.optimizer.state(),
            best_epoch=self.best_epoch, best_val_acc=self.best_val_acc, best_layers=self.best_layers,
            stop_best_loss=None if math.isinf(best_loss) else best_loss, stop_best_epoch=best_loss_epoch,
        )

    def cancel(self) -> None:
        """Ask the run to stop before its next batch; safe from any thread."""
        self._cancel.set()

    def run(self) -> Iterator[EpochRecord]:
        if self._started:
            raise RuntimeError("a Trainer runs once; make a new one to train again")
        self._started = True
        x, y = self.train
        n, dtype = len(x), self.model.dtype
        rng = self.shuffle_rng
        onehot = np.eye(self.model.config.num_classes, dtype=dtype)[y]
        y_epoch = np.empty(n, dtype=np.intp)
        predictions = np.empty(n, dtype=np.intp)
        bs = self.config.batch_size
        batches = math.ceil(n / bs)
        # Each batch is gathered into fixed buffers that stay in cache for its forward and backward
        # products; no shuffled copy of the whole set is made (a fresh 172 MB array costs more in
        # page faults than a run's worth of per-batch gathering).
        batch_buffers = {m: _BatchBuffers(m, x.shape[1], onehot.shape[1], dtype)
                         for m in {min(bs, n), n - (batches - 1) * bs}}
        for epoch in range(self.epoch + 1, self.config.epochs + 1):
            started = time.perf_counter()
            lr = self.schedule(epoch)
            order = rng.permutation(n)
            np.take(y, order, out=y_epoch, mode="clip")
            if self.augmenter is not None:
                self.augmenter.new_epoch(n)
            with blas_threads(self.blas_threads), flush_subnormals():
                loss_sum = self._train_epoch(epoch, lr, (x, onehot, order), batch_buffers, predictions, batches)
                if loss_sum is None:
                    if self.status == "cancelled":  # back to the last finished epoch's weights
                        for layer, saved in zip(self.model.layers, self._last_layers):
                            np.copyto(layer, saved)
                    return
                if not all(np.isfinite(w).all() for w in self.model.layers):
                    self._diverged(epoch, "the weights became infinite or NaN")
                    return
                val = loss_and_accuracy(self.model, *self.val) if self.val else (None, None)
                test = loss_and_accuracy(self.model, *self.test) if self.test else (None, None)
                stuck = stall_message(epoch, predictions, y, self.model, x, self.config.learning_rate)
                layers = self.layer_stats.epoch() if self.layer_stats is not None else None
            self._finish_epoch(epoch, val)
            yield EpochRecord(
                epoch=epoch,
                train_loss=loss_sum / n,
                train_acc=float(np.count_nonzero(predictions == y_epoch)) / n,
                val_loss=val[0],
                val_acc=val[1],
                test_loss=test[0],
                test_acc=test[1],
                lr=lr,
                seconds=time.perf_counter() - started,
                layers=layers,
            )
            if stuck is not None:
                self.status, self.message = "diverged", stuck
                return
            best_val, best_epoch = self._stop_best
            if self.config.early_stop and val[0] is not None and best_epoch != epoch:
                if epoch - best_epoch >= self.config.early_stop and epoch < self.config.epochs:
                    self.status = "completed"
                    waited = epoch - best_epoch
                    self.message = (f"Stopped early after epoch {epoch} of {self.config.epochs}: the validation loss "
                                    f"has not improved for {waited} epoch{'s' if waited > 1 else ''} (lowest "
                                    f"{best_val:.4f} in epoch {best_epoch}); the weights kept as best are those of "
                                    f"the highest validation accuracy, epoch {self.best_epoch}.")
                    return
        self.status = "completed"

    def _finish_epoch(self, epoch: int, val: tuple[float | None, float | None]) -> None:
        """Record the finished epoch: its weights, the best-validation ones, early stopping's best loss."""
        self.epoch = epoch
        for saved, layer in zip(self._last_layers, self.model.layers):
            np.copyto(saved, layer)
        val_loss, val_acc = val
        if val_acc is not None and (self.best_val_acc is None or val_acc > self.best_val_acc):
            self.best_epoch, self.best_val_acc = epoch, val_acc
            self.best_layers = [layer.copy() for layer in self.model.layers]
        if val_loss is not None and val_loss < self._stop_best[0]:
            self._stop_best = (val_loss, epoch)

    def _train_epoch(self, epoch, lr, data, batch_buffers, predictions, batches) -> float | None:
        """All batches of one epoch; the summed loss, or None if cancelled or diverged.

        `data` is (x, onehot, this epoch's order); batch i takes rows order[i*bs:(i+1)*bs].
        """
        x, onehot, order = data
        step = self.model.train_step
        optimizer, penalties, on_batch = self.optimizer, self.penalties, self.on_batch
        dropout, augmenter = self.dropout, self.augmenter
        cancel = self._cancel
        stats = self.layer_stats
        if stats is not None:
            stats.start_epoch(batches)
        take, copyto = np.take, np.copyto
        bs, n = self.config.batch_size, len(order)
        total = 0.0
        # Overflow is detected below and reported as divergence, not as warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            for b in range(batches):
                if cancel.is_set():
                    self.status = "cancelled"
                    self.message = f"Cancelled in epoch {epoch} after {b} of {batches} batches."
                    return None
                lo, hi = b * bs, min(b * bs + bs, n)
                rows = order[lo:hi]
                buf = batch_buffers[hi - lo]
                take(x, rows, axis=0, out=buf.staged, mode="clip")
                if augmenter is not None:
                    augmenter.apply(buf.source, lo, buf.x)
                else:
                    copyto(buf.features, buf.staged)
                take(onehot, rows, axis=0, out=buf.onehot, mode="clip")
                sampled = stats is not None and b % stats.every == 0
                if sampled:
                    stats.before_step(buf.x, buf.onehot)
                loss = step(buf.x, buf.onehot, lr, optimizer, penalties, predictions[lo:hi], dropout)
                if sampled:
                    stats.after_step()
                if not loss < DIVERGED_LOSS * (hi - lo):  # also true for NaN
                    self._diverged(epoch, f"the loss exploded to {loss / (hi - lo):.3g} per sample")
                    return None
                total += loss
                if on_batch is not None:
                    on_batch(epoch, b + 1, batches)
        return total

    def _diverged(self, epoch: int, what: str) -> None:
        self.status = "diverged"
        self.message = (
            f"Training diverged in epoch {epoch}: {what}. "
            f"Try a lower learning rate than {self.config.learning_rate:g}."
        )
        if self.layer_stats is not None:
            self.message += dead_note(self.model, self.layer_stats.probe)
