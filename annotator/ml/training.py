"""Train a model type on a SPEC and save it as a bundle with its card.

Videos are cut into windows of `context_seconds` (10, as AVE clips), features come through the
feature cache, and the fusion models also see copies of clips with one stream removed, so they
learn to carry on from the other stream alone.
"""

from __future__ import annotations

import datetime
import logging
import time
from pathlib import Path

import numpy as np

from ..core.conventions import (BACKGROUND, FRAMES_DECODED_POLICY, audio_settings,
                                visual_settings)
from ..core.datasets import LabelledSet, LabelledVideo, load_spec
from ..core.errors import AnnotatorError, DataSpecError
from ..core.feature_cache import FeatureCache
from .architectures import DEFAULT_HYPERPARAMETERS
from .bundle import ModelBundle, save_bundle
from .calibrate import calibrate_bundle
from .cost import multiply_adds_per_second
from .evaluation import evaluate_videos
from .model_types import model_type
from .pipeline import FeatureNeeds, prepare_video
from .prediction import context_windows

log = logging.getLogger(__name__)

CONTEXT_SECONDS = 10
HEAD_LOSS_WEIGHT = 0.3          # per-modality heads: trained, but the fused head matters most
STREAM_REMOVAL_FRACTION = 0.2   # fusion models: share of windows copied without audio / visual
_INPUTS = ("log_mel", "audio_present", "visual", "visual_present")


def split_for_training(labelled: LabelledSet, seed: int, val_fraction: float = 0.15):
    """(train, validation) videos: the SPEC's own split where it has one, else a seeded split."""
    if labelled.split("train"):
        train = labelled.split("train")
        val = labelled.split("val") or labelled.split("test")
        return train, val
    order = np.random.default_rng(seed).permutation(len(labelled.videos))
    n_val = max(1, int(round(len(order) * val_fraction))) if len(order) > 1 else 0
    val = [labelled.videos[i] for i in sorted(order[:n_val])]
    train = [labelled.videos[i] for i in sorted(order[n_val:])]
    return train, val


def windows_from_arrays(arrays: dict, truth: np.ndarray, background: int,
                        weights: np.ndarray | None = None) -> dict:
    """Training windows of `CONTEXT_SECONDS` cut from videos of equal length: shared by training
    on videos and on pre-extracted feature files.

    `arrays` maps each model input to (videos, seconds, ...), `truth` is (videos, seconds) class
    indices, `weights` (videos, seconds) per-second loss weights (default 1). Returns every input
    as (windows, CONTEXT_SECONDS, ...) plus 'labels' and 'weights'; padding seconds weigh 0. Where
    the videos are exactly one window long, the arrays are passed through without a copy.
    """
    weights = np.ones(truth.shape, np.float32) if weights is None else weights
    full = {"labels": truth, "weights": weights, **arrays}
    # Padding seconds: background truth of weight 0, the video's quietest log-mel, else absent.
    fill = {name: float(value.min()) if name == "log_mel" else 0.0 for name, value in full.items()}
    fill["labels"] = background
    parts = []
    for start, end in context_windows(truth.shape[1], CONTEXT_SECONDS):
        pad = CONTEXT_SECONDS - (end - start)
        window = {name: value[:, start:end] for name, value in full.items()}
        if pad:
            window = {name: np.pad(value, [(0, 0), (0, pad)] + [(0, 0)] * (value.ndim - 2),
                                   constant_values=fill[name])
                      for name, value in window.items()}
        parts.append(window)
    if len(parts) == 1:
        return parts[0]
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _video_windows(features, labels: list[str], class_index: dict) -> dict:
    truth = np.array([class_index.get(label, class_index[BACKGROUND])
                      for label in labels], np.int32)
    arrays = {name: getattr(features, name)[None] for name in _INPUTS
              if getattr(features, name) is not None}
    return windows_from_arrays(arrays, truth[None], class_index[BACKGROUND])


def windows_for(videos: list[LabelledVideo], architecture: str, visual_fps: int,
                class_index: dict, cache, progress=None, cancel=None) -> dict:
    """Stacked training windows (inputs, labels, weights) of all videos; unreadable ones skipped."""
    needs = FeatureNeeds(architecture, visual_fps)
    windows, skipped = [], []
    for done, video in enumerate(videos, start=1):
        try:
            features = prepare_video(video.path, needs, cache=cache, cancel=cancel).features
        except AnnotatorError as exc:
            skipped.append(str(exc))
            log.warning("skipping %s", exc)
            continue
        windows.append(_video_windows(features, video.labels_for(features.seconds), class_index))
        if progress:
            progress(done, len(videos), video.path.name)
    if not windows:
        raise DataSpecError("no usable videos: " + "; ".join(skipped[:5]))
    return {key: np.concatenate([w[key] for w in windows]) for key in windows[0]}


def with_streams_removed(data: dict, rng) -> dict:
    """Append copies of some windows with their audio removed and others with the visual removed."""
    n = len(data["labels"])
    parts = [data]
    # The audio input is the log-mel patch, or the audio features of a feature file.
    audio = "log_mel" if "log_mel" in data else "audio"
    for keys in ((audio, "audio_present"), ("visual", "visual_present")):
        chosen = rng.choice(n, size=max(1, int(n * STREAM_REMOVAL_FRACTION)), replace=False)
        copy = {key: value[chosen].copy() for key, value in data.items()}
        copy[keys[1]][:] = 0.0
        copy[keys[0]][:] = data[keys[0]].min() if keys[0] == "log_mel" else 0.0  # silence
        parts.append(copy)
    return {key: np.concatenate([p[key] for p in parts]) for key in data}


def _fit_arguments(model, data: dict, heads: tuple[str, ...]):
    inputs = {name: data[name] for name in model.input}
    targets = {name: data["labels"] for name in heads}
    weights = {name: data["weights"] for name in heads} if "weights" in data else None
    return inputs, targets, weights


def fit_windows(model, heads: tuple[str, ...], train_data: dict, val_data: dict | None, *,
                epochs: int, batch_size: int, learning_rate: float, patience: int | None = 8):
    """Compile and fit `model` on stacked windows (inputs, 'labels', optional 'weights'): shared
    by training on videos and on feature files. Early stopping on the validation loss keeps the
    best weights, unless `patience` is None (then all epochs run, as the research did)."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss={name: "sparse_categorical_crossentropy" for name in heads},
                  loss_weights={name: 1.0 if name == "event" else HEAD_LOSS_WEIGHT for name in heads})
    fit_kwargs = {}
    if val_data is not None:
        fit_kwargs["validation_data"] = _fit_arguments(model, val_data, heads)
        if patience is not None:
            fit_kwargs["callbacks"] = [keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=patience, restore_best_weights=True)]
    inputs, targets, weights = _fit_arguments(model, train_data, heads)
    return model.fit(inputs, targets, sample_weight=weights, epochs=epochs,
                     batch_size=batch_size, shuffle=True, verbose=0, **fit_kwargs)


def train(spec, architecture: str, out_dir, *, epochs: int = 40, seed: int = 0,
          hyperparameters: dict | None = None, visual_fps: int = 1, batch_size: int = 32,
          learning_rate: float = 1e-3, cache: FeatureCache | None = None,
          progress=None, cancel=None, version: str = "1.0.0") -> ModelBundle:
    """Train `architecture` on `spec` and save the bundle to `out_dir`."""
    import keras

    started = time.time()
    labelled = load_spec(spec)
    class_index = {name: i for i, name in enumerate(labelled.classes)}
    train_videos, val_videos = split_for_training(labelled, seed)
    cache = cache or FeatureCache()
    spec = model_type(architecture)
    train_data = windows_for(train_videos, architecture, visual_fps, class_index, cache, progress, cancel)
    if spec.learns_missing_streams:
        train_data = with_streams_removed(train_data, np.random.default_rng(seed))
    hp = {**DEFAULT_HYPERPARAMETERS, **(hyperparameters or {})}
    keras.utils.set_random_seed(seed)
    model = spec.build(len(labelled.classes), hp)
    heads = spec.trained_outputs
    val_data = (windows_for(val_videos, architecture, visual_fps, class_index, cache, None, cancel)
                if val_videos else None)
    history = fit_windows(model, heads, train_data, val_data, epochs=epochs,
                          batch_size=batch_size, learning_rate=learning_rate)
    training_seconds = time.time() - started
    card = _card(Path(out_dir).name, version, architecture, labelled, hp, visual_fps, seed, epochs,
                 len(history.history["loss"]), training_seconds, len(train_videos), len(val_videos),
                 model, batch_size, learning_rate)
    bundle = save_bundle(model, card, out_dir)
    if val_videos:
        metrics = evaluate_videos(bundle, val_videos, cache)
        card["metrics"] = {key: metrics[key] for key in
                           ("per_second_accuracy", "event_second_accuracy", "heads", "seconds")}
        card["metrics"]["data"] = f"validation split of {labelled.source} ({len(val_videos)} videos)"
        bundle = save_bundle(model, card, out_dir)
    # Honest confidences: temperatures and familiarity threshold from the validation videos,
    # the familiarity summary from the training videos (calibrate.py).
    return calibrate_bundle(bundle, train_videos, val_videos, cache, cancel=cancel,
                            fit_data=f"training split of {labelled.source}",
                            held_out_data=f"validation split of {labelled.source}")


def _card(name, version, architecture, labelled, hp, visual_fps, seed, epochs, epochs_run,
          training_seconds, n_train, n_val, model, batch_size, learning_rate) -> dict:
    modalities = model_type(architecture).modalities
    settings = {}
    if "audio" in modalities:
        settings["audio"] = audio_settings()
    if "visual" in modalities:
        # What its features were, as computed; loading checks the visual_settings part only.
        settings["visual"] = {**visual_settings(visual_fps), "frames_decoded": FRAMES_DECODED_POLICY}
    return {
        "name": name,
        "version": version,
        "architecture": architecture,
        "classes": labelled.classes,
        "feature_settings": settings,
        "context_seconds": CONTEXT_SECONDS,
        "training": {
            "data": labelled.source, "videos": n_train, "validation_videos": n_val,
            "seed": seed, "epochs": epochs, "epochs_run": epochs_run,
            "batch_size": batch_size, "learning_rate": learning_rate,
            "hyperparameters": hp, "training_seconds": round(training_seconds, 1),
        },
        "parameter_count": int(model.count_params()),
        "multiply_adds_per_second": int(multiply_adds_per_second(model, architecture, visual_fps)),
        "date": datetime.date.today().isoformat(),
    }
