"""Features of one video for a given model: probe, then audio and/or visual, through the cache."""

from __future__ import annotations

import logging

from ..core.conventions import audio_settings, visual_settings
from ..core.feature_cache import FeatureCache
from ..core.features import VideoFeatures, absent_audio, extract_audio
from ..core.media import MediaInfo, probe
from ..core.table import count_seconds
from .visual_features import extract_visual

log = logging.getLogger(__name__)


def _absent_visual(seconds: int) -> dict:
    import numpy as np

    from ..core.conventions import VISUAL_EMBEDDING_SIZE
    return {"visual": np.zeros((seconds, VISUAL_EMBEDDING_SIZE), np.float32),
            "visual_present": np.zeros(seconds, np.float32)}


def _cached(cache, path, modality, settings, compute, use_cache: bool) -> dict:
    if cache is not None and use_cache:
        hit = cache.load(path, modality, settings)
        if hit is not None:
            return hit
    arrays = compute()
    if cache is not None:
        try:
            cache.save(path, modality, settings, arrays)
        except OSError as exc:  # a full or read-only cache slows the next run, nothing more
            log.warning("%s: feature cache not written (%s)", path, exc)
    return arrays


def video_features(path, modalities, visual_fps: int, cache: FeatureCache | None = None,
                   use_cache: bool = True, cancel=None, info: MediaInfo | None = None):
    """(VideoFeatures, MediaInfo) for the modalities a model needs; absent streams are zeros."""
    info = info or probe(path)
    seconds = count_seconds(info.duration)
    features = VideoFeatures(video=str(path), duration=info.duration)
    if "audio" in modalities:
        arrays = absent_audio(seconds)
        if info.has_audio:
            arrays = _cached(cache, path, "audio", audio_settings(),
                             lambda: extract_audio(path, seconds, cancel), use_cache)
        features.log_mel, features.audio_present = arrays["log_mel"], arrays["audio_present"]
    if "visual" in modalities:
        arrays = _absent_visual(seconds)
        if info.has_video:
            arrays = _cached(cache, path, "visual", visual_settings(visual_fps),
                             lambda: extract_visual(path, seconds, visual_fps, cancel), use_cache)
        features.visual, features.visual_present = arrays["visual"], arrays["visual_present"]
    return features, info
