"""Train a model type on a pre-extracted feature set (AVE's files, the research's pickles).

Two ways, both through training.py's shared windows and fit:
  - per second (default): the product's architecture with its stems matched to the files'
    shapes, one label per second, background included;
  - per video (`video_level=True`): the research's notebook preset of the type, exactly as it
    was run (Adam, 50 epochs, batch 64, all epochs, no early stopping), one label per video.
The bundle's card names the extractors, so it is refused on raw videos (bundle.py).
"""

from __future__ import annotations

import datetime
import logging
import time
from pathlib import Path

import numpy as np

from ..core.conventions import BACKGROUND
from ..core.errors import AnnotatorError
from ..core.feature_sets import (
    NO_EVENT,
    FeatureSet,
    FeatureSplit,
    input_seconds,
    per_second_inputs,
    per_second_truth,
)
from .architectures import DEFAULT_HYPERPARAMETERS
from .bundle import ModelBundle, save_bundle
from .cost import head_multiply_adds
from .model_types import model_type
from .research_heads import BATCH_SIZE as RESEARCH_BATCH_SIZE
from .research_heads import EPOCHS as RESEARCH_EPOCHS
from .feature_evaluation import evaluate_split
from .feature_windows import fit_windows, windows_from_arrays, with_streams_removed
from .training import CONTEXT_SECONDS

log = logging.getLogger(__name__)

PER_SECOND_EPOCHS = 40
PER_SECOND_BATCH_SIZE = 32
RESEARCH_LEARNING_RATE = 1e-3  # Keras' Adam default, which the research's notebooks used


def _per_second_data(feature_set: FeatureSet, split: FeatureSplit, modalities) -> dict:
    return windows_from_arrays(
        per_second_inputs(split, modalities),
        per_second_truth(split),
        feature_set.classes.index(BACKGROUND),
    )


def _video_level_data(split: FeatureSplit, modalities) -> dict:
    """Whole clips and their one label; a clip that is background throughout has none."""
    keep = split.video_labels != NO_EVENT
    if keep.all():
        return {**{m: getattr(split, m) for m in modalities}, "labels": split.video_labels}
    log.info("%s split: %d clip(s) without an event left out", split.name, int((~keep).sum()))
    return {**{m: getattr(split, m)[keep] for m in modalities}, "labels": split.video_labels[keep]}


def _fit_per_video(spec, feature_set, train_split, val_split, epochs, batch_size, learning_rate):
    """The research's preset, run as its notebook ran it (unless told otherwise)."""
    settings = {
        "epochs": epochs or RESEARCH_EPOCHS,
        "batch_size": batch_size or RESEARCH_BATCH_SIZE,
        "learning_rate": learning_rate or RESEARCH_LEARNING_RATE,
    }
    shapes = {m: tuple(getattr(train_split, m).shape[1:]) for m in spec.modalities}
    model = spec.build_video_level(len(feature_set.classes) - 1, shapes)
    history = fit_windows(
        model,
        ("event",),
        _video_level_data(train_split, spec.modalities),
        _video_level_data(val_split, spec.modalities),
        patience=None,
        **settings,
    )
    return model, history, settings, {"preset": f"the research's {spec.name} notebook"}


def _fit_per_second(
    spec,
    feature_set,
    train_split,
    val_split,
    epochs,
    batch_size,
    learning_rate,
    hyperparameters,
    seed,
):
    """The product's architecture, stems matched to the files' per-second shapes."""
    settings = {
        "epochs": epochs or PER_SECOND_EPOCHS,
        "batch_size": batch_size or PER_SECOND_BATCH_SIZE,
        "learning_rate": learning_rate or 1e-3,
    }
    hp = {**DEFAULT_HYPERPARAMETERS, **(hyperparameters or {})}
    shapes = {m: tuple(getattr(train_split, m).shape[2:]) for m in spec.modalities}
    model = spec.build(len(feature_set.classes), hp, shapes)
    train_data = _per_second_data(feature_set, train_split, spec.modalities)
    if spec.learns_missing_streams:
        train_data = with_streams_removed(train_data, np.random.default_rng(seed))
    history = fit_windows(
        model,
        spec.trained_outputs,
        train_data,
        _per_second_data(feature_set, val_split, spec.modalities),
        **settings,
    )
    return model, history, settings, hp


def train_on_features(
    feature_set: FeatureSet,
    architecture: str,
    out_dir,
    *,
    video_level: bool = False,
    epochs: int | None = None,
    seed: int = 0,
    hyperparameters: dict | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    version: str = "1.0.0",
    evaluate: bool = True,
) -> ModelBundle:
    """Train on the set's train split (validation split held out) and save the bundle."""
    import keras

    started = time.time()
    spec = model_type(architecture)
    if video_level and spec.video_level_builder is None:
        raise AnnotatorError(
            f"model type {architecture!r} has no video-level preset "
            "(the research built one for visual, audio, fusion and attention)"
        )
    train_split = feature_set.load_split("train", spec.modalities)
    val_split = feature_set.load_split("val", spec.modalities)
    keras.utils.set_random_seed(seed)
    if video_level:
        model, history, settings, hp = _fit_per_video(
            spec, feature_set, train_split, val_split, epochs, batch_size, learning_rate
        )
    else:
        model, history, settings, hp = _fit_per_second(
            spec,
            feature_set,
            train_split,
            val_split,
            epochs,
            batch_size,
            learning_rate,
            hyperparameters,
            seed,
        )
    training = {
        "data": feature_set.source,
        "videos": len(train_split),
        "validation_videos": len(val_split),
        "seed": seed,
        **settings,
        "epochs_run": len(history.history["loss"]),
        "hyperparameters": hp,
        "per_second_truth": (
            "the files' per-second labels"
            if feature_set.per_second_truth
            else "each video's one label on all its seconds"
        ),
        "training_seconds": round(time.time() - started, 1),
    }
    # Per-second models see windows of CONTEXT_SECONDS; the research's see whole clips.
    seconds = input_seconds(train_split) if video_level else CONTEXT_SECONDS
    card = _card(
        Path(out_dir).name,
        version,
        architecture,
        feature_set,
        spec.modalities,
        model,
        video_level,
        training,
        seconds,
    )
    bundle = save_bundle(model, card, out_dir)
    if evaluate:
        report = evaluate_split(feature_set, bundle, val_split)
        card["metrics"] = {
            key: report[key]
            for key in (
                "per_second_accuracy",
                "event_second_accuracy",
                "video_accuracy",
                "heads",
                "seconds",
                "videos",
            )
        }
        card["metrics"]["data"] = (
            f"validation split of {feature_set.source} ({len(val_split)} videos)"
        )
        bundle = save_bundle(model, card, out_dir)
    return bundle


def _card(
    name, version, architecture, feature_set, modalities, model, video_level, training, seconds
) -> dict:
    extractors = {m: feature_set.extractors[m] for m in modalities}
    head = head_multiply_adds(model)
    return {
        "name": name,
        "version": version,
        "architecture": architecture,
        "classes": feature_set.classes,
        "feature_settings": feature_set.extractor_card(modalities),
        # Marks the bundle as trained on feature files: refused on raw videos (bundle.py).
        "feature_files": {
            "kind": feature_set.kind,
            "extractors": {m: e.name for m, e in extractors.items()},
        },
        "output": "per-video" if video_level else "per-second",
        "context_seconds": seconds,
        "training": training,
        "parameter_count": int(model.count_params()),
        "head_multiply_adds_per_second": int(head),
        "multiply_adds_per_second": int(
            head + sum(e.multiply_adds_per_second for e in extractors.values())
        ),
        "date": datetime.date.today().isoformat(),
    }
