"""The one per-video pipeline: `prepare_video`, then `label_video`.

Every batch run (the command line, the app's annotation process, evaluation, training, a cluster
engine) maps these two over its files and nothing else, so each rule lives once: the probe goes
through the cache, a file lacking every stream the model reads is refused before any decoding,
a fusion model missing one stream says so, nothing may take longer than its time limit, and a
truncated file is refused rather than half-labelled.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.conventions import UNFAMILIAR_WARNING_SHARE
from ..core.errors import BundleError, Cancelled, MediaError, MissingStreamError
from ..core.feature_cache import FeatureCache
from ..core.features import VideoFeatures
from ..core.media import MediaInfo
from ..core.model_inputs import MODEL_INPUTS
from ..core.table import build_table, count_seconds
from .bundle import feature_file_refusal
from .calibration import calibrated_confidences, calibrated_probabilities, write_confidences
from .extract import probe_cached, video_features
from .model_types import EVENT_OUTPUT, model_type
from .prediction import predict_features

log = logging.getLogger(__name__)

# Nothing may hang a batch: each file gets this long, plus a share of its own duration.
TIME_LIMIT_SECONDS = 120.0
TIME_LIMIT_PER_VIDEO_SECOND = 2.0

# A stream may end up to this many seconds before the container says (encoder padding,
# a last partial frame); a shorter stream means the file was cut or damaged.
_TRUNCATION_TOLERANCE_SECONDS = 1


@dataclass(frozen=True)
class FeatureNeeds:
    """What preparing a video needs to know of a model: its type, streams and frame rate.
    A `ModelBundle` has the same three attributes, so either can be passed."""

    architecture: str
    visual_fps: int = 1

    @property
    def modalities(self) -> tuple[str, ...]:
        return model_type(self.architecture).modalities


@dataclass
class PreparedVideo:
    path: str
    info: MediaInfo
    features: VideoFeatures
    warnings: list[str] = field(default_factory=list)


@dataclass
class VideoAnnotation:
    table: pd.DataFrame  # the contracted per-second rows
    info: MediaInfo
    attention: np.ndarray | None = None  # (seconds, 2) weights over (audio, visual)
    warnings: list[str] = field(default_factory=list)
    probabilities: dict = field(
        default_factory=dict
    )  # 'event', 'audio', 'visual': (T, C), calibrated
    # Per second in (0, 1]: 1 where the second is like the training data; None for a bundle
    # without a familiarity summary.
    familiarity: np.ndarray | None = None
    # 'event', 'audio', 'visual': (T,) calibrated probability that the head's label is right,
    # before unfamiliar seconds are lowered (the table holds the lowered values).
    confidences: dict = field(default_factory=dict)
    # How its pictures were decoded: "keyframes", "reference", "all" (docs/decoding.md).
    visual_decoding: str = ""

    @property
    def unfamiliar_share(self) -> float:
        """Share of the video's seconds unlike the model's training data (0 when unknown)."""
        return 0.0 if self.familiarity is None else float((self.familiarity < 1.0).mean())


def missing_stream_warnings(needs, info: MediaInfo, path) -> list[str]:
    """Refuse a file that lacks every stream the model uses; warn where fusion loses one."""
    wanted = needs.modalities
    lacking = [m for m in wanted if not (info.has_audio if m == "audio" else info.has_video)]
    if len(lacking) == len(wanted):
        stream = "audio" if lacking == ["audio"] else "video" if lacking == ["visual"] else "usable"
        raise MissingStreamError(
            path, f"no {stream} stream; the {needs.architecture} model cannot annotate it"
        )
    return [
        f"{path}: no audio stream; annotated from pictures only"
        if m == "audio"
        else f"{path}: no video stream; annotated from sound only"
        for m in lacking
    ]


def check_decoded_length(features: VideoFeatures, info: MediaInfo, path) -> None:
    """Refuse a file whose streams stop long before its stated duration (a truncated copy)."""
    for present, has_stream in (
        (features.audio_present, info.has_audio),
        (features.visual_present, info.has_video),
    ):
        if present is None or not has_stream:
            continue
        decoded = int(present.sum())
        if decoded < features.seconds - _TRUNCATION_TOLERANCE_SECONDS:
            raise MediaError(
                path,
                f"truncated or damaged: only {decoded} of {features.seconds} s could be decoded",
            )


class _Stop:
    """The cancel check handed to the extractors: the caller's cancel or the file's deadline.

    The extractors ask it once per decoded second of each stream, and tell it of the seconds
    found in the cache, so counting also measures progress: `progress(fraction)` and
    `seconds_progress(seconds done, seconds in the video)`."""

    def __init__(self, cancel, limit: float, streams: int, duration: float, progress, seconds):
        self.cancel, self.limit, self.progress = cancel, limit, progress
        self.seconds_progress, self.duration = seconds, duration
        self.deadline = time.monotonic() + limit
        self.streams = max(1, streams)
        self.expected, self.polls = max(1, count_seconds(duration) * streams), 0

    def timed_out(self) -> bool:
        return time.monotonic() > self.deadline

    def cancelled(self) -> bool:
        return self.cancel is not None and bool(self.cancel())

    def skip(self, seconds: int) -> None:
        """`seconds` of one stream came from the cache."""
        self.polls += seconds
        self._report()

    def _report(self) -> None:
        share = min(1.0, self.polls / self.expected)
        if self.progress is not None:
            self.progress(min(0.95, share))
        if self.seconds_progress is not None:
            self.seconds_progress(share * self.duration, self.duration)

    def __call__(self) -> bool:
        self.polls += 1
        self._report()
        return self.timed_out() or self.cancelled()


def streams_to_extract(needs) -> tuple[str, ...]:
    """The model's streams, plus those its familiarity summary scores (a bundle that reads only
    the sound still knows what the pictures of its training clips looked like)."""
    return tuple(dict.fromkeys((*needs.modalities, *getattr(needs, "familiarity_streams", ()))))


def _streams_to_decode(streams, info: MediaInfo) -> int:
    return sum([("audio" in streams and info.has_audio), ("visual" in streams and info.has_video)])


def prepare_video(
    path,
    needs,
    *,
    cache: FeatureCache | None = None,
    use_cache: bool = True,
    cancel=None,
    progress=None,
    seconds_progress=None,
) -> PreparedVideo:
    """Probe (through the cache), check the streams, and extract the features `needs` reads.

    `needs` is a ModelBundle or a FeatureNeeds. `cancel()` stops at the next second of video
    (raising Cancelled); `progress(fraction)` and `seconds_progress(done, duration)` (seconds of
    video) follow the decoding, seconds found in the cache counting as done. Raises MediaError
    for a file that cannot be labelled, with the reason.
    """
    refusal = feature_file_refusal(getattr(needs, "card", {}), str(getattr(needs, "path", "model")))
    if refusal:  # its features come from an extractor this install does not run
        raise BundleError(refusal)
    info = probe_cached(path, cache, use_cache)
    warnings = missing_stream_warnings(needs, info, path)  # refuse early, before any decoding
    for message in warnings:
        log.info(message)  # callers show warnings to the user; the log keeps a trace
    limit = TIME_LIMIT_SECONDS + TIME_LIMIT_PER_VIDEO_SECOND * info.duration
    streams = streams_to_extract(needs)
    stop = _Stop(
        cancel,
        limit,
        _streams_to_decode(streams, info),
        info.duration,
        progress,
        seconds_progress,
    )
    try:
        features, info = video_features(
            path, streams, needs.visual_fps, cache, use_cache, stop, info, skipped=stop.skip
        )
    except Cancelled:
        if stop.timed_out() and not stop.cancelled():
            raise MediaError(path, f"gave up after {stop.limit:.0f} s (the per-file time limit)")
        raise
    check_decoded_length(features, info, path)
    return PreparedVideo(str(path), info, features, warnings)


def head_probabilities(bundle, outputs: dict, info: MediaInfo | None = None) -> dict:
    """{'event', 'audio', 'visual'} per-second distributions; a modality is left out where the
    model has no head for it or the video has no such stream."""
    spec = model_type(bundle.architecture)
    probabilities = {"event": outputs[EVENT_OUTPUT]}
    for modality in ("audio", "visual"):
        name = spec.head_output(modality)
        has_stream = info is None or (info.has_audio if modality == "audio" else info.has_video)
        if name is not None and has_stream:
            probabilities[modality] = outputs[name]
    return probabilities


def unfamiliar_warning(path, share: float) -> str | None:
    """The per-video warning, where enough of it is unlike the training data to matter."""
    if share < UNFAMILIAR_WARNING_SHARE:
        return None
    return f"{path}: {share * 100:.0f} % of this video is unlike the model's training data"


# Labelling a long video: the model takes about nine tenths of the time, familiarity the rest
# (measured on a 2-hour video: 145 s and 18 s); familiarity goes a slice at a time so progress
# is heard during it too (each second's familiarity depends on that second alone).
_MODEL_SHARE = 0.9
FAMILIARITY_SLICE_SECONDS = 600


def _progress_shares(seconds_progress):
    """`seconds_progress` split over the model's part and familiarity's part of labelling."""
    if seconds_progress is None:
        return None, None

    def model(done, total):
        seconds_progress(_MODEL_SHARE * done, total)

    def familiarity(done, total):
        seconds_progress((_MODEL_SHARE + (1 - _MODEL_SHARE) * done / max(total, 1)) * total, total)

    return model, familiarity


def _familiarity(summary, features: VideoFeatures, progress=None):
    """Per-second familiarity (None without a summary), a slice of the video at a time."""
    if summary is None:
        return None
    if features.seconds <= FAMILIARITY_SLICE_SECONDS:
        return summary.familiarity(features)
    parts = []
    for start in range(0, features.seconds, FAMILIARITY_SLICE_SECONDS):
        if progress is not None:
            progress(start, features.seconds)
        end = min(start + FAMILIARITY_SLICE_SECONDS, features.seconds)
        parts.append(summary.familiarity(_seconds_of(features, start, end)))
    return np.concatenate(parts)


def _seconds_of(features: VideoFeatures, start: int, end: int) -> VideoFeatures:
    sliced = {
        name: None if getattr(features, name) is None else getattr(features, name)[start:end]
        for name in MODEL_INPUTS
    }
    return VideoFeatures(features.video, float(end - start), **sliced)


def label_video(
    prepared: PreparedVideo, bundle, video_name: str | None = None, seconds_progress=None
) -> VideoAnnotation:
    """The per-second table of a prepared video (the CSV's `video` column is `video_name` or
    the path). Probabilities are calibrated with the bundle's temperatures, and the confidences
    of seconds unlike its training data are lowered (see calibration.py).
    `seconds_progress(done, duration)` follows a long video through the model."""
    model_part, familiarity_part = _progress_shares(seconds_progress)
    outputs = predict_features(bundle, prepared.features, model_part)
    probabilities = calibrated_probabilities(
        bundle, head_probabilities(bundle, outputs, prepared.info)
    )
    table = build_table(
        video_name or prepared.path,
        prepared.info.duration,
        bundle.classes,
        probabilities["event"],
        probabilities.get("audio"),
        probabilities.get("visual"),
        model=bundle.tag,
    )
    confidences = calibrated_confidences(bundle, probabilities)
    familiarity = _familiarity(bundle.familiarity(), prepared.features, familiarity_part)
    write_confidences(table, confidences, familiarity)
    warnings = list(prepared.warnings)
    warning = (
        None
        if familiarity is None
        else unfamiliar_warning(prepared.path, float((familiarity < 1.0).mean()))
    )
    if warning:
        warnings.append(warning)
    return VideoAnnotation(
        table,
        prepared.info,
        outputs.get("attention"),
        warnings,
        probabilities,
        familiarity,
        confidences,
        prepared.features.visual_decoding,
    )


def annotate_video(
    path,
    bundle,
    *,
    cache: FeatureCache | None = None,
    use_cache: bool = True,
    cancel=None,
    video_name: str | None = None,
) -> VideoAnnotation:
    """Prepare and label one video in one call."""
    prepared = prepare_video(path, bundle, cache=cache, use_cache=use_cache, cancel=cancel)
    return label_video(prepared, bundle, video_name)
