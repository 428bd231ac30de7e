"""Run a bundle's model over one video's features: per-second outputs for the whole video.

Long videos are cut into windows of the length the model was trained on. The windows go to the
bundle's numpy head (`numpy_head/`: no TensorFlow in the process, outputs within 1e-5 of Keras)
or, for a graph only Keras can run, to a Keras graph traced per concrete shape (see
`_compiled_call`). The per-video pipeline (pipeline.py) calls this; nothing here decodes or builds
tables."""

from __future__ import annotations


import numpy as np

from ..core.features import VideoFeatures
from ..core.model_inputs import MODEL_INPUTS

_INPUT_NAMES = MODEL_INPUTS


def context_windows(seconds: int, context: int) -> list[tuple[int, int]]:
    """Windows of `context` seconds covering all seconds; the last one is shifted back to fit."""
    if seconds <= context:
        return [(0, seconds)]
    starts = list(range(0, seconds - context + 1, context))
    if starts[-1] + context < seconds:
        starts.append(seconds - context)
    return [(s, s + context) for s in starts]


# Windows go to the model in batches whose size is a power of two (zero windows pad the rest), so
# the compiled call is traced for a handful of shapes only.
# Eight windows a call: as fast as 32 on a CPU (measured on a 4-minute video: 11.1 s against
# 10.5 s, under load) for a third of the memory (157 MB against 471 MB), and a long video's
# progress is heard every 80 s of video.
_MAX_WINDOWS_PER_CALL = 8
_compiled_calls: dict = {}


def _compiled_call(model):
    """The model's forward pass as a graph, traced once per concrete input shape.

    Shapes stay concrete on purpose: traced with an unknown number of seconds, the audio
    encoder's TimeDistributed stack gives wrong outputs (measured: up to 0.98 off the eager
    call), which is what Keras' own `predict_on_batch` does once it relaxes shapes.
    """
    key = id(model)
    if key not in _compiled_calls:
        import tensorflow as tf

        _compiled_calls[key] = (
            model,
            tf.function(lambda batch: model(batch, training=False), reduce_retracing=False),
        )
    return _compiled_calls[key][1]


def load_head(bundle):
    """The bundle's forward pass, loaded once: (call, input names, whether to pad to a power
    of two). Raises BundleError for a model file that neither numpy nor Keras can read."""
    head = bundle.numpy_head()
    if head is not None:
        return head, head.input, False
    model = bundle.model()
    return _compiled_call(model), list(model.input), True


def _run_windows(call, batch: dict, pad: bool) -> dict:
    """Model outputs for a stack of equal-length windows, in chunks of _MAX_WINDOWS_PER_CALL
    windows (so an hour needs no more memory than a minute); for Keras padded to a power of two."""
    count = len(next(iter(batch.values())))
    chunks = []
    for start in range(0, count, _MAX_WINDOWS_PER_CALL):
        part = {name: value[start : start + _MAX_WINDOWS_PER_CALL] for name, value in batch.items()}
        size = len(next(iter(part.values())))
        padded = 1 << (size - 1).bit_length() if pad else size
        part = {
            name: np.concatenate([value, np.zeros((padded - size, *value.shape[1:]), value.dtype)])
            for name, value in part.items()
        }
        chunks.append({name: np.asarray(value)[:size] for name, value in call(part).items()})
    return {name: np.concatenate([chunk[name] for chunk in chunks]) for name in chunks[0]}


def run_windows(model, batch: dict) -> dict:
    """A Keras model's outputs for a stack of equal-length windows (evaluation on feature files,
    which has no bundle file for the numpy head to read)."""
    return _run_windows(_compiled_call(model), batch, pad=True)


def predict_features(bundle, features: VideoFeatures, progress=None) -> dict:
    """Per-second outputs of the bundle's model: {'event': (T, C), ...} over the whole video.

    The model saw clips of `context_seconds` in training, so a long video is cut into windows of
    that length (batched); each second takes the prediction of the window it is in.
    `progress(seconds done, seconds)` follows a long video through the model.
    """
    call, inputs, pad = load_head(bundle)
    arrays = {
        name: getattr(features, name)
        for name in _INPUT_NAMES
        if name in inputs and getattr(features, name) is not None
    }
    windows = context_windows(features.seconds, bundle.context_seconds)
    merged: dict = {}
    # The windows are stacked a call's worth at a time: a whole hour stacked at once would hold
    # a second copy of its features.
    for first in range(0, len(windows), _MAX_WINDOWS_PER_CALL):
        if progress is not None:
            progress(first * features.seconds / len(windows), features.seconds)
        group = windows[first : first + _MAX_WINDOWS_PER_CALL]
        batch = {
            name: np.stack([a[s:e] for s, e in group]).astype(np.float32, copy=False)
            for name, a in arrays.items()
        }
        for name, value in _run_windows(call, batch, pad).items():
            if name not in merged:
                merged[name] = np.zeros((features.seconds, value.shape[-1]), np.float32)
            for index, (start, end) in enumerate(group):
                merged[name][start:end] = value[index]
    return merged
