"""Training windows from arrays already in memory, and a plain fit over them: what training on
pre-extracted feature files (feature_training.py) needs. Training on videos samples its windows
instead (training_windows.py), with augmentation and masked seconds."""

from __future__ import annotations

import numpy as np

from ..core.model_inputs import AUDIO_PRESENT, LOG_MEL, VISUAL_INPUTS
from .prediction import context_windows
from .training import CONTEXT_SECONDS, HEAD_LOSS_WEIGHT

STREAM_REMOVAL_FRACTION = 0.2  # fusion models: share of windows copied without audio / visual


def windows_from_arrays(
    arrays: dict, truth: np.ndarray, background: int, weights: np.ndarray | None = None
) -> dict:
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
    fill = {name: float(value.min()) if name == LOG_MEL else 0.0 for name, value in full.items()}
    fill["labels"] = background
    parts = []
    for start, end in context_windows(truth.shape[1], CONTEXT_SECONDS):
        pad = CONTEXT_SECONDS - (end - start)
        window = {name: value[:, start:end] for name, value in full.items()}
        if pad:
            window = {
                name: np.pad(
                    value,
                    [(0, 0), (0, pad)] + [(0, 0)] * (value.ndim - 2),
                    constant_values=fill[name],
                )
                for name, value in window.items()
            }
        parts.append(window)
    if len(parts) == 1:
        return parts[0]
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def with_streams_removed(data: dict, rng) -> dict:
    """Append copies of some windows with their audio removed and others with the visual removed."""
    n = len(data["labels"])
    parts = [data]
    # The audio input is the log-mel patch, or the audio features of a feature file.
    audio = LOG_MEL if LOG_MEL in data else "audio"
    for keys in ((audio, AUDIO_PRESENT), VISUAL_INPUTS):
        chosen = rng.choice(n, size=max(1, int(n * STREAM_REMOVAL_FRACTION)), replace=False)
        copy = {key: value[chosen].copy() for key, value in data.items()}
        copy[keys[1]][:] = 0.0
        copy[keys[0]][:] = data[keys[0]].min() if keys[0] == LOG_MEL else 0.0  # silence
        parts.append(copy)
    return {key: np.concatenate([p[key] for p in parts]) for key in data}


def _fit_arguments(model, data: dict, heads: tuple[str, ...]):
    inputs = {name: data[name] for name in model.input}
    targets = {name: data["labels"] for name in heads}
    weights = {name: data["weights"] for name in heads} if "weights" in data else None
    return inputs, targets, weights


def fit_windows(
    model,
    heads: tuple[str, ...],
    train_data: dict,
    val_data: dict | None,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    patience: int | None = 8,
):
    """Compile and fit `model` on stacked windows (inputs, 'labels', optional 'weights'): shared
    by training on videos and on feature files. Early stopping on the validation loss keeps the
    best weights, unless `patience` is None (then all epochs run, as the research did)."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss={name: "sparse_categorical_crossentropy" for name in heads},
        loss_weights={name: 1.0 if name == "event" else HEAD_LOSS_WEIGHT for name in heads},
    )
    fit_kwargs = {}
    if val_data is not None:
        fit_kwargs["validation_data"] = _fit_arguments(model, val_data, heads)
        if patience is not None:
            fit_kwargs["callbacks"] = [
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=patience, restore_best_weights=True
                )
            ]
    inputs, targets, weights = _fit_arguments(model, train_data, heads)
    return model.fit(
        inputs,
        targets,
        sample_weight=weights,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
        **fit_kwargs,
    )
