"""The epoch loop: fresh windows each epoch, a score on the held-out videos, early stopping,
progress after every epoch and a cancel that answers within a batch.

The held-out score is the event head's loss and per-second accuracy over labelled seconds only;
the best epoch's weights are kept.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np

from ..core.errors import Cancelled
from ..core.model_inputs import MODEL_INPUTS

log = logging.getLogger(__name__)

_INPUTS = MODEL_INPUTS


@dataclass
class EpochReport:
    """What the app and the command line show after each epoch."""

    phase: str  # "training", or "final" (again on every video)
    epoch: int
    epochs: int
    loss: float
    val_loss: float | None
    val_accuracy: float | None
    elapsed: float  # seconds since this phase began
    seconds_left: float  # at most: early stopping may end sooner

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class FitResult:
    epochs_run: int
    best_epoch: int
    best_val_loss: float | None
    best_val_accuracy: float | None


def _model_inputs(model, data: dict) -> dict:
    return {name: data[name] for name in _INPUTS if name in model.input and name in data}


def held_out_score(model, data: dict) -> tuple[float, float]:
    """(loss, accuracy) of the event head over the labelled seconds of fixed windows."""
    from .prediction import run_windows

    # The graph prediction uses (traced once for these windows' shape): an eager call of the
    # recurrent layers cost more than the epoch's training itself.
    probabilities = run_windows(model, _model_inputs(model, data))["event"]
    labels, weights = data["labels"], data["weights"]
    total = float(weights.sum())
    if not total:
        return float("nan"), float("nan")
    chosen = np.take_along_axis(probabilities, labels[..., None], axis=-1)[..., 0]
    loss = float((-np.log(np.clip(chosen, 1e-7, 1.0)) * weights).sum())
    correct = float(((probabilities.argmax(-1) == labels) * weights).sum())
    return loss / total, correct / total


def _decayed(rate: float, epoch: int, epochs: int) -> float:
    """Half-cosine decay from `rate` at the first epoch to a tenth of it at the last."""
    progress = (epoch - 1) / max(1, epochs - 1)
    return rate * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * progress)))


def _cancel_callback(cancel):
    import keras

    class CancelCheck(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if cancel is not None and cancel():
                self.model.stop_training = True
                raise Cancelled("training cancelled; no bundle was written")

    return CancelCheck()


def fit_with_early_stopping(
    model,
    heads: tuple[str, ...],
    sampler,
    held_out: dict,
    *,
    epochs: int,
    per_epoch: int,
    batch_size: int,
    seed: int,
    patience: int | None,
    cancel=None,
    report=None,
    phase: str = "training",
    min_epochs: int = 0,
    keep_best: bool = True,
    decay: bool = True,
) -> FitResult:
    """Train `model` for up to `epochs` epochs of `per_epoch` fresh windows each; with held-out
    windows, stop after `patience` epochs without a lower held-out loss (never before
    `min_epochs`) and, with `keep_best`, go back to the best epoch's weights. With `decay` the
    learning rate falls along a half cosine to a tenth of its start by the last epoch, so the
    last epochs settle instead of bouncing between neighbouring solutions."""
    rng = np.random.default_rng(seed)
    callbacks = [_cancel_callback(cancel)]
    best = (float("inf"), None, 0, None)  # loss, weights, epoch, accuracy
    started = time.monotonic()
    epoch = 0
    start_rate = float(np.asarray(model.optimizer.learning_rate))
    for epoch in range(1, epochs + 1):
        if cancel is not None and cancel():
            raise Cancelled("training cancelled; no bundle was written")
        if decay:
            model.optimizer.learning_rate.assign(_decayed(start_rate, epoch, epochs))
        data = sampler.epoch(per_epoch, rng)
        history = model.fit(
            _model_inputs(model, data),
            {name: data["labels"] for name in heads},
            sample_weight={name: data["weights"] for name in heads},
            epochs=1,
            batch_size=batch_size,
            shuffle=True,
            verbose=0,
            callbacks=callbacks,
        )
        loss = float(history.history["loss"][-1])
        val_loss = val_accuracy = None
        if held_out:
            val_loss, val_accuracy = held_out_score(model, held_out)
            if val_loss < best[0]:
                best = (val_loss, model.get_weights(), epoch, val_accuracy)
        elapsed = time.monotonic() - started
        if report is not None:
            report(
                EpochReport(
                    phase,
                    epoch,
                    epochs,
                    loss,
                    val_loss,
                    val_accuracy,
                    elapsed,
                    elapsed / epoch * (epochs - epoch),
                )
            )
        log.info(
            "%s epoch %d/%d: loss %.4f, held-out loss %s, accuracy %s",
            phase,
            epoch,
            epochs,
            loss,
            val_loss,
            val_accuracy,
        )
        if (
            held_out
            and patience is not None
            and epoch >= min_epochs
            and epoch - best[2] >= patience
        ):
            break
    if best[1] is not None and keep_best:
        model.set_weights(best[1])
        return FitResult(epoch, best[2], best[0], best[3])
    return FitResult(epoch, epoch, best[0] if best[1] is not None else None, best[3])
