"""Annotate one video: features in, per-second table out. Batch runs only map this over files."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import MediaError, MissingStreamError
from ..core.feature_cache import FeatureCache
from ..core.features import VideoFeatures
from ..core.media import MediaInfo, probe
from ..core.table import build_table
from .bundle import ModelBundle
from .extract import video_features

log = logging.getLogger(__name__)

_INPUT_NAMES = ("log_mel", "audio_present", "visual", "visual_present")


@dataclass
class VideoAnnotation:
    table: pd.DataFrame                    # the contracted per-second rows
    info: MediaInfo
    attention: np.ndarray | None = None   # (seconds, 2) weights over (audio, visual)
    warnings: list[str] = field(default_factory=list)


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
_MAX_WINDOWS_PER_CALL = 32
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

        _compiled_calls[key] = (model, tf.function(lambda batch: model(batch, training=False),
                                                   reduce_retracing=False))
    return _compiled_calls[key][1]


def _run_windows(model, batch: dict) -> dict:
    """Model outputs for a stack of equal-length windows, in padded power-of-two chunks."""
    call = _compiled_call(model)
    count = len(next(iter(batch.values())))
    chunks = []
    for start in range(0, count, _MAX_WINDOWS_PER_CALL):
        part = {name: value[start:start + _MAX_WINDOWS_PER_CALL] for name, value in batch.items()}
        size = len(next(iter(part.values())))
        padded = 1 << (size - 1).bit_length()
        part = {name: np.concatenate([value, np.zeros((padded - size, *value.shape[1:]),
                                                      value.dtype)])
                for name, value in part.items()}
        chunks.append({name: np.asarray(value)[:size] for name, value in call(part).items()})
    return {name: np.concatenate([chunk[name] for chunk in chunks]) for name in chunks[0]}


def predict_features(bundle: ModelBundle, features: VideoFeatures) -> dict:
    """Per-second outputs of the bundle's model: {'event': (T, C), ...} over the whole video.

    The model saw clips of `context_seconds` in training, so a long video is cut into windows of
    that length (batched); each second takes the prediction of the window it is in.
    """
    model = bundle.model()
    arrays = {name: getattr(features, name) for name in _INPUT_NAMES
              if name in model.input and getattr(features, name) is not None}
    windows = context_windows(features.seconds, bundle.context_seconds)
    batch = {name: np.stack([a[s:e] for s, e in windows]).astype(np.float32)
             for name, a in arrays.items()}
    outputs = _run_windows(model, batch)
    merged = {name: np.zeros((features.seconds, value.shape[-1]), np.float32)
              for name, value in outputs.items()}
    for index, (start, end) in enumerate(windows):
        for name, value in outputs.items():
            merged[name][start:end] = value[index]
    return merged


def missing_stream_warnings(bundle: ModelBundle, info: MediaInfo, path) -> list[str]:
    """Refuse a file that lacks every stream the model uses; warn where fusion loses one."""
    needs = bundle.modalities
    lacking = [m for m in needs if not (info.has_audio if m == "audio" else info.has_video)]
    if len(lacking) == len(needs):
        stream = "audio" if lacking == ["audio"] else "video" if lacking == ["visual"] else "usable"
        raise MissingStreamError(path, f"no {stream} stream; the {bundle.architecture} model "
                                       "cannot annotate it")
    return [f"{path}: no audio stream; annotated from pictures only" if m == "audio" else
            f"{path}: no video stream; annotated from sound only" for m in lacking]


# A stream may end up to this many seconds before the container says (encoder padding,
# a last partial frame); a shorter stream means the file was cut or damaged.
_TRUNCATION_TOLERANCE_SECONDS = 1


def check_decoded_length(features: VideoFeatures, info: MediaInfo, path) -> None:
    """Refuse a file whose streams stop long before its stated duration (a truncated copy)."""
    for present, has_stream in ((features.audio_present, info.has_audio),
                                (features.visual_present, info.has_video)):
        if present is None or not has_stream:
            continue
        decoded = int(present.sum())
        if decoded < features.seconds - _TRUNCATION_TOLERANCE_SECONDS:
            raise MediaError(path, f"truncated or damaged: only {decoded} of {features.seconds} s "
                                   "could be decoded")


def annotate_video(path, bundle: ModelBundle, *, cache: FeatureCache | None = None,
                   use_cache: bool = True, cancel=None, video_name: str | None = None,
                   info: MediaInfo | None = None,
                   features: VideoFeatures | None = None) -> VideoAnnotation:
    """The per-second table of one video (the CSV's `video` column is `video_name` or the path).

    `info` and `features` may be passed when a worker has already probed and extracted them.
    """
    info = info or probe(path)
    warnings = missing_stream_warnings(bundle, info, path)
    for message in warnings:
        log.info(message)  # callers show warnings to the user; the log keeps a trace
    if features is None:
        features, info = video_features(path, bundle.modalities, bundle.visual_fps, cache,
                                        use_cache, cancel, info)
    check_decoded_length(features, info, path)
    outputs = predict_features(bundle, features)
    audio_probs = outputs.get("audio_event")
    visual_probs = outputs.get("visual_event")
    if bundle.architecture == "audio":
        audio_probs = outputs["event"]       # the audio model's only head is its audio head
    if bundle.architecture == "visual":
        visual_probs = outputs["event"]
    audio_probs = audio_probs if info.has_audio else None
    visual_probs = visual_probs if info.has_video else None
    table = build_table(video_name or str(path), info.duration, bundle.classes,
                        outputs["event"], audio_probs, visual_probs, model=bundle.tag)
    return VideoAnnotation(table, info, outputs.get("attention"), warnings)
