"""Train a model type on a SPEC (or a project's labels) and save it as a bundle with its card.

Features come through the feature cache (the per-video pipeline), so training a second model
on the same videos decodes nothing. Only labelled seconds teach: unlabelled ones weigh 0. Some
labelled videos are held out: the model stops when it no longer improves on them, and its
result on them (per class, and as a confusion table) goes into the card. With few videos the
final model is then trained once more on all of them, for the number of epochs that did best.

The bundle appears atomically: it is written to a hidden folder beside `out_dir` and renamed
into place only when complete, so a cancelled or failed run leaves nothing half-written.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.conventions import BACKGROUND
from ..core.datasets import LabelledSet, load_spec
from ..core.errors import AnnotatorError, Cancelled
from ..core.feature_cache import FeatureCache
from .architectures import DEFAULT_HYPERPARAMETERS
from .bundle import ModelBundle, save_bundle
from .calibrate import calibrate_bundle
from .evaluation import evaluate_videos
from .fitting import EpochReport, fit_with_early_stopping
from .model_types import model_type
from .out_of_fold import (
    classes_learnt,
    fold_models_needed,
    out_of_fold_scores,
    representative,
    score_videos,
)
from .training_data import (
    check_labels,
    class_weights,
    classes_missing_from,
    seconds_per_class,
    split_for_training,
    video_seconds,
)
from .training_card import CONTEXT_SECONDS, training_card
from .training_windows import WindowSampler, fixed_windows

log = logging.getLogger(__name__)

HEAD_LOSS_WEIGHT = 0.3  # per-modality heads: trained, but the fused head matters most
REFIT_BELOW_VIDEOS = 20  # fewer labelled videos: train the final model on all of them
MIN_WINDOWS_PER_EPOCH = 96  # few videos: each epoch still sees this many (augmented) windows
# Early stopping on the held-out videos: only in the second half of the epochs, after this many
# without a lower held-out loss. A few held-out videos give a noisy loss; stopping on it sooner
# cost 2-8 points of test accuracy on the novel demo classes (the learning-curve runs), while
# the falling learning rate makes the late epochs settle.
PATIENCE = 10
# Fewer held-out videos than this: their loss is too noisy to stop on (stopping on 6 of 40
# novel clips restored epoch-5 weights and lost up to 17 points), so the whole schedule runs
# and they only measure the model.
EARLY_STOPPING_MIN_VIDEOS = 10

__all__ = ["CONTEXT_SECONDS", "EpochReport", "TrainingError", "split_for_training", "train"]


class TrainingError(AnnotatorError):
    """Training cannot start or finish (the message says why and what to do)."""


@dataclass
class _Plan:
    """Everything decided before the first epoch."""

    labelled: LabelledSet
    classes: list[str]
    train_videos: list
    val_videos: list
    refit: bool


def train(
    spec,
    architecture: str,
    out_dir,
    *,
    epochs: int = 40,
    seed: int = 0,
    hyperparameters: dict | None = None,
    visual_fps: int = 1,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    cache: FeatureCache | None = None,
    progress=None,
    cancel=None,
    version: str = "1.0.0",
    epoch_progress=None,
    overwrite: bool = False,
    warm_start=None,
    refit: bool | None = None,
    augment: bool = True,
    calibration_folds: int | None = None,
) -> ModelBundle:
    """Train `architecture` on `spec` (a SPEC path or a LabelledSet) and save it to `out_dir`.

    `progress(done, total, video)` follows the features; `epoch_progress(EpochReport)` each
    epoch; `cancel()` stops within a batch (raising Cancelled, nothing written). `warm_start`
    (a bundle) lends its audio encoder's weights. `refit` None: automatic (few videos).
    `calibration_folds` caps the extra trainings of the out-of-fold calibration (None:
    automatic; 0: the held-out videos alone, for a quick model whose confidence ranks worse).
    """
    import keras

    started = time.time()
    out_dir = _check_out_dir(out_dir, overwrite)
    plan = _plan(spec, seed, refit)
    cache = cache or FeatureCache()
    type_spec = model_type(architecture)
    class_index = {name: i for i, name in enumerate(plan.classes)}
    train_seconds = video_seconds(
        plan.train_videos, architecture, visual_fps, class_index, cache, progress, cancel
    )
    val_seconds = video_seconds(
        plan.val_videos, architecture, visual_fps, class_index, cache, None, cancel
    )
    counts = seconds_per_class(train_seconds + val_seconds, plan.classes)
    inputs = tuple(name for name in train_seconds[0].arrays)
    two_streams = len(type_spec.modalities) > 1 and type_spec.learns_missing_streams
    weights = class_weights(seconds_per_class(train_seconds, plan.classes), plan.classes)
    sampler = WindowSampler(
        train_seconds,
        inputs,
        CONTEXT_SECONDS,
        weights,
        class_index[BACKGROUND],
        two_streams,
        augment,
    )
    per_epoch = max(MIN_WINDOWS_PER_EPOCH, sampler.natural_windows())
    hp = {**DEFAULT_HYPERPARAMETERS, **(hyperparameters or {})}

    def build():
        keras.utils.set_random_seed(seed)
        model = type_spec.build(len(plan.classes), hp)
        if warm_start is not None:
            _warm_start(model, warm_start)
        return _compiled(model, type_spec.trained_outputs, learning_rate)

    again = _Retrainable(build, seed, learning_rate)

    def fit_on(videos, run_epochs: int, fit_seed: int, phase: str):
        """A model trained on `videos` for `run_epochs`, no held-out videos (each calibration
        fold's, then the final model: one Keras model, trained again from its first state)."""
        fitted_model = again.fresh()
        sampler = WindowSampler(
            videos,
            inputs,
            CONTEXT_SECONDS,
            class_weights(seconds_per_class(videos, plan.classes), plan.classes),
            class_index[BACKGROUND],
            two_streams,
            augment,
        )
        fit_with_early_stopping(
            fitted_model,
            type_spec.trained_outputs,
            sampler,
            {},
            epochs=run_epochs,
            per_epoch=per_epoch,
            batch_size=batch_size,
            seed=fit_seed,
            patience=None,
            cancel=cancel,
            report=epoch_progress,
            phase=phase,
        )
        return fitted_model

    model = build()
    stopping = len(val_seconds) >= EARLY_STOPPING_MIN_VIDEOS
    fitted = fit_with_early_stopping(
        model,
        type_spec.trained_outputs,
        sampler,
        fixed_windows(val_seconds, inputs, CONTEXT_SECONDS),
        epochs=epochs,
        per_epoch=per_epoch,
        batch_size=batch_size,
        seed=seed,
        patience=PATIENCE if stopping else None,
        min_epochs=epochs // 2,
        keep_best=stopping,
        cancel=cancel,
        report=epoch_progress,
        phase="training",
    )
    measured, final = model, model
    final_epochs = max(fitted.best_epoch, epochs // 2)
    # Seconds no model learnt from, to fit the confidences on (out_of_fold.py): the held-out
    # videos scored by the model that never saw them, and each fold of the training videos
    # by a model trained without it. The folds come before the final model, which reuses
    # their Keras model once they are scored.
    folds = fold_models_needed(len(train_seconds), len(val_seconds))
    if calibration_folds is not None:
        folds = min(folds, max(0, calibration_folds))
    folds_started = time.time()
    scored = score_videos(
        measured, val_seconds, inputs, CONTEXT_SECONDS, classes_learnt(train_seconds)
    )
    if folds:
        scored += out_of_fold_scores(
            train_seconds,
            val_seconds,
            lambda index, videos: fit_on(
                videos, final_epochs, seed + 2 + index, f"calibration {index + 1}/{folds}"
            ),
            inputs,
            CONTEXT_SECONDS,
            folds=folds,
            seed=seed,
            cancel=cancel,
        )
    calibration_seconds = time.time() - folds_started
    if plan.refit and plan.val_videos:
        final = fit_on(train_seconds + val_seconds, final_epochs, seed + 1, "final")
    card = training_card(
        out_dir.name,
        version,
        architecture,
        plan,
        hp,
        visual_fps,
        seed,
        epochs,
        fitted,
        time.time() - started,
        final,
        batch_size,
        learning_rate,
        counts,
        warm_start,
    )
    card["training"]["calibration_seconds"] = round(calibration_seconds, 1)
    scored_data = (
        f"out-of-fold: the validation split of {plan.labelled.source} ({len(val_seconds)} "
        "videos) scored by the model trained without them, and the "
        f"{len(train_seconds)} training videos in {folds} folds, each scored by a model "
        "trained without it"
        if folds
        else f"validation split of {plan.labelled.source}"
    )
    scored, set_aside = representative(scored)
    if set_aside:
        scored_data += "; only the videos labelled whole (chosen seconds are the hardest)"
    return _finish_bundle(
        final, card, out_dir, plan, cache, measured, overwrite, cancel, (scored, scored_data)
    )


class _Retrainable:
    """One compiled Keras model, built on first use and put back into its first state (every
    variable, the dropout seeds and the optimizer's) for each training after: a new model
    costs a trace of its training and prediction steps (about 15 s for `attention` on 2 cores),
    and the model put back trains exactly as a new one would."""

    def __init__(self, build, seed: int, learning_rate: float):
        self._build, self._seed, self._rate = build, seed, learning_rate
        self._model, self._first_state = None, None

    def fresh(self):
        import keras

        if self._model is None:
            self._model = self._build()
            self._first_state = [v.numpy() for v in self._model.variables]
            return self._model
        keras.utils.set_random_seed(self._seed)  # as build() leaves the global generators
        for variable, value in zip(self._model.variables, self._first_state):
            variable.assign(value)
        for variable in self._model.optimizer.variables:
            variable.assign(np.zeros(variable.shape, variable.dtype))
        self._model.optimizer.learning_rate.assign(self._rate)
        return self._model


def _plan(spec, seed: int, refit: bool | None) -> _Plan:
    labelled = spec if isinstance(spec, LabelledSet) else load_spec(spec)
    check_labels(labelled)
    train_videos, val_videos = split_for_training(labelled, seed)
    missing = classes_missing_from(train_videos, labelled.classes)
    if missing:
        log.warning(
            "classes labelled only in the held-out videos: %s; the final model is "
            "trained on every video",
            ", ".join(missing),
        )
    labelled_videos = len(train_videos) + len(val_videos)
    if refit is None:
        refit = bool(missing) or labelled_videos < REFIT_BELOW_VIDEOS
    return _Plan(labelled, labelled.classes, train_videos, val_videos, refit)


def _compiled(model, heads: tuple[str, ...], learning_rate: float):
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss={name: "sparse_categorical_crossentropy" for name in heads},
        loss_weights={name: 1.0 if name == "event" else HEAD_LOSS_WEIGHT for name in heads},
    )
    return model


def _warm_start(model, bundle) -> list[str]:
    """Copy the audio encoder's weights from another bundle where names and shapes match."""
    from .bundle import load_bundle

    source = bundle if isinstance(bundle, ModelBundle) else load_bundle(bundle)
    donor = {layer.name: layer for layer in source.model().layers}
    copied = []
    for layer in model.layers:
        other = donor.get(layer.name)
        if not layer.name.startswith("audio_") or other is None or not layer.weights:
            continue
        theirs = other.get_weights()
        if [w.shape for w in theirs] == [tuple(w.shape) for w in layer.weights]:
            layer.set_weights(theirs)
            copied.append(layer.name)
    log.info("warm start from %s: %s", source.tag, ", ".join(copied) or "nothing matched")
    return copied


def _check_out_dir(out_dir, overwrite: bool) -> Path:
    out_dir = Path(out_dir)
    if not out_dir.name or out_dir.name.startswith("."):
        raise TrainingError(f"{out_dir}: a bundle needs a name that does not start with '.'")
    if out_dir.exists() and not overwrite:
        raise TrainingError(
            f"{out_dir}: a bundle of that name exists already; choose another "
            "name (or --overwrite to replace it)"
        )
    return out_dir


def _finish_bundle(
    model,
    card: dict,
    out_dir: Path,
    plan: _Plan,
    cache,
    measured,
    overwrite: bool,
    cancel=None,
    scored: tuple | None = None,
) -> ModelBundle:
    """The bundle is saved and the held-out videos are known: measure the model on them, put
    the result in the card, and move the finished bundle into place.

    `measured` is the model that never saw the held-out videos (the saved `model` itself,
    unless the final model was trained again on every video). `scored` is (out-of-fold
    ScoredVideos, what they are) for the calibration.
    """
    val_videos = plan.val_videos
    partial = out_dir.parent / f".{out_dir.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        bundle = save_bundle(model, card, partial)
        if val_videos:
            # The Keras model in memory, not the numpy head read from the saved file: that is
            # the final model, which (refitted on every video) has seen the held-out ones.
            judge = ModelBundle(partial, card, measured, False)
            metrics = evaluate_videos(judge, val_videos, cache, cancel=cancel)
            card["metrics"] = {
                key: metrics[key]
                for key in (
                    "per_second_accuracy",
                    "event_second_accuracy",
                    "heads",
                    "seconds",
                    "per_class",
                    "confusion",
                )
            }
            card["metrics"]["data"] = (
                f"validation split of {card['training']['data']} ({len(val_videos)} held-out videos)"
            )
            card["metrics"]["videos"] = len(val_videos)
            card["metrics"]["held_out_videos"] = [str(v.path) for v in val_videos]
            bundle = save_bundle(model, card, partial)
        # Honest confidences: temperatures and confidence maps from the out-of-fold scores,
        # the familiarity summary from the training videos and its threshold from the
        # held-out ones (calibrate.py).
        source = card["training"]["data"]
        bundle = calibrate_bundle(
            bundle,
            plan.train_videos,
            val_videos,
            cache,
            cancel=cancel,
            fit_data=f"training split of {source}",
            held_out_data=f"validation split of {source}",
            scored=scored,
        )
        if cancel is not None and cancel():
            raise Cancelled("training cancelled; no bundle was written")
        _move_into_place(partial, out_dir, overwrite)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return ModelBundle(out_dir, bundle.card, model)


def _move_into_place(partial: Path, out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists():
        if not overwrite:
            raise TrainingError(
                f"{out_dir}: a bundle of that name appeared while training; "
                "the new one was not saved"
            )
        old = out_dir.parent / f".{out_dir.name}.replaced"
        shutil.rmtree(old, ignore_errors=True)
        out_dir.rename(old)
        partial.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        partial.rename(out_dir)
