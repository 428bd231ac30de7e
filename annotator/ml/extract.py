"""Features of one video for a given model: probe, then audio and/or visual, through the cache.

The two streams are extracted at the same time (visual in a second thread): each has its own
ffmpeg process, so while one waits for its decoder or the backbone the other keeps a core busy.
The probe's answer is cached beside the features, so a second model over the same videos starts
no ffmpeg at all.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

from ..core.conventions import (
    VISUAL_EMBEDDING_SIZE,
    audio_settings,
    frames_decoded_for,
    visual_extraction,
)
from ..core.decode import KeyframesMismatch
from ..core.feature_cache import FeatureCache
from ..core.features import VideoFeatures, absent_audio, extract_audio
from ..core.keyframes import visual_decoding
from ..core.media import MediaInfo, probe
from ..core.model_inputs import AUDIO_PRESENT, LOG_MEL, VISUAL, VISUAL_PRESENT
from ..core.table import count_seconds
from .feature_chunks import cached_in_chunks, save_quietly
from .visual_features import extract_visual, fill_tail

log = logging.getLogger(__name__)

# Bump when MediaInfo changes shape: older cache entries then read as misses.
_MEDIA_RECORD = {"media_info_version": 1}


@functools.cache
def _one_blas_thread() -> None:
    """Give numpy's BLAS one thread, once per process.

    The pipeline runs streams and videos in parallel itself, and the log-mel's matrix products
    are far too small to split; an idle BLAS thread, though, spins between those products.
    Measured on a 10 s clip: 0.13 CPU-seconds of spinning, a quarter of the pipeline's CPU.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _absent_visual(seconds: int) -> dict:
    return {
        VISUAL: np.zeros((seconds, VISUAL_EMBEDDING_SIZE), np.float32),
        VISUAL_PRESENT: np.zeros(seconds, np.float32),
    }


def _media_info_from(arrays: dict | None, path) -> MediaInfo | None:
    try:
        fields = json.loads(str(arrays["media_info"]))
        return dataclasses.replace(MediaInfo(**fields), path=str(path))
    except (TypeError, KeyError, ValueError):  # a miss, or a record of another version
        return None


def probe_cached(path, cache: FeatureCache | None = None, use_cache: bool = True) -> MediaInfo:
    """`probe(path)`, remembered in the cache under the file's identity (path, size, mtime)."""
    if cache is not None and use_cache:
        info = _media_info_from(cache.load(path, "media", _MEDIA_RECORD), path)
        if info is not None:
            return info
    info = probe(path)
    if cache is not None:
        record = np.array(json.dumps(dataclasses.asdict(info)))  # text, so no pickle on load
        save_quietly(cache, path, "media", _MEDIA_RECORD, {"media_info": record})
    return info


def _run_together(jobs: dict, cancel) -> dict:
    """Run each `job(cancel)` of `jobs` at once (the first on this thread); their results by name.

    If the first fails, the others are told to stop and awaited before the error is raised.
    """
    names = list(jobs)
    if len(names) == 1:
        return {names[0]: jobs[names[0]](cancel)}
    stop = threading.Event()

    def stopped() -> bool:
        return stop.is_set() or (cancel is not None and bool(cancel()))

    with ThreadPoolExecutor(len(names) - 1, thread_name_prefix="stream") as pool:
        others = {name: pool.submit(jobs[name], stopped) for name in names[1:]}
        try:
            results = {names[0]: jobs[names[0]](cancel)}
        except BaseException:
            stop.set()
            wait(others.values())
            raise
        results.update({name: future.result() for name, future in others.items()})
    return results


def _audio_job(path, seconds: int, info: MediaInfo, cache, use_cache: bool, skipped):
    if not info.has_audio:
        return lambda cancel: absent_audio(seconds)

    def job(cancel) -> dict:
        return cached_in_chunks(
            cache,
            path,
            "audio",
            audio_settings(),
            seconds,
            lambda count, span: extract_audio(path, count, cancel, span),
            use_cache,
            skipped,
        )

    return job


def _visual_job(path, seconds: int, visual_fps: int, info: MediaInfo, cache, use_cache, skipped):
    if not info.has_video:
        return lambda cancel: _absent_visual(seconds)

    decoding, plan = visual_decoding(path, seconds, visual_fps, info.fps)

    def extract(decoding, plan, cancel) -> dict:
        arrays = cached_in_chunks(
            cache,
            path,
            "visual",
            visual_extraction(visual_fps, decoding),
            seconds,
            lambda count, span: extract_visual(
                path, count, visual_fps, cancel, decoding, span, plan=plan
            ),
            use_cache,
            skipped,
        )
        # A stream a frame short of the container's end, seen across a chunk boundary.
        fill_tail(arrays[VISUAL], arrays[VISUAL_PRESENT])
        return {**arrays, "decoding": decoding}

    def job(cancel) -> dict:
        try:
            return extract(decoding, plan, cancel)
        except KeyframesMismatch as exc:  # the index and the decoder disagree: decode it all
            log.warning("%s; decoding every frame instead", exc)
            return extract(frames_decoded_for(info.fps), None, cancel)

    return job


def video_features(
    path,
    modalities,
    visual_fps: int,
    cache: FeatureCache | None = None,
    use_cache: bool = True,
    cancel=None,
    info: MediaInfo | None = None,
    skipped=None,
):
    """(VideoFeatures, MediaInfo) for the modalities a model needs; absent streams are zeros.

    Each stream is extracted in chunks cached as they finish (feature_chunks.py); `skipped(n)`
    is told of every n seconds of a stream found in the cache, `cancel()` is asked once per
    second decoded."""
    _one_blas_thread()
    info = info or probe_cached(path, cache, use_cache)
    seconds = count_seconds(info.duration)
    features = VideoFeatures(video=str(path), duration=info.duration)
    jobs = {}
    if "audio" in modalities:
        jobs["audio"] = _audio_job(path, seconds, info, cache, use_cache, skipped)
    if "visual" in modalities:
        jobs["visual"] = _visual_job(path, seconds, visual_fps, info, cache, use_cache, skipped)
    arrays = _run_together(jobs, cancel) if jobs else {}
    if "audio" in arrays:
        features.log_mel = arrays["audio"][LOG_MEL]
        features.audio_present = arrays["audio"][AUDIO_PRESENT]
    if "visual" in arrays:
        features.visual = arrays["visual"][VISUAL]
        features.visual_present = arrays["visual"][VISUAL_PRESENT]
        features.visual_decoding = arrays["visual"].get("decoding", "")
    return features, info
