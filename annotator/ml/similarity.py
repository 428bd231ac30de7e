"""Find similar: the seconds anywhere in a library most like a chosen second or span.

Each second is described per stream by what a bundle reads and the familiarity summary already
uses (familiarity.stream_embeddings): the visual backbone's embedding of its frame(s), and the
mean and spread of each mel band of its log-mel patch. Both come from the feature cache, so
nothing is downloaded and nothing is decoded twice; a video whose features are not cached is
named (or, when asked, computed, which loads the backbone: the app never asks). Per stream the
descriptions are standardised over the library and scaled to unit length, so similarity is the
cosine; "both" is the mean of the two streams' cosines where both are present. Arrays in, a
ranked list out: no store, no Qt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.conventions import (
    DEFAULT_VISUAL_FPS,
    audio_settings,
    frames_decoded_for,
    visual_extraction,
)
from ..core.errors import AnnotatorError, Cancelled
from ..core.feature_cache import FeatureCache
from ..core.features import VideoFeatures
from .extract import probe_cached
from .familiarity import stream_embeddings

log = logging.getLogger(__name__)

STREAMS = ("audio", "visual")
SEARCHES = ("both", *STREAMS)
STREAM_WORDS = {"audio": "sound", "visual": "picture"}


class SimilarityError(AnnotatorError):
    """A similarity search that cannot be made (no such second, no stream to compare)."""


@dataclass
class Match:
    video: str
    second: int
    similarity: float  # cosine, -1..1

    def as_dict(self) -> dict:
        return {"video": self.video, "second": self.second, "similarity": round(self.similarity, 4)}


@dataclass
class LibraryEmbeddings:
    """Every second of the searched videos: its (video, second), and per stream a unit-length
    description and whether the stream is present there."""

    keys: list[tuple[str, int]]
    vectors: dict[str, np.ndarray]  # stream -> (seconds, dims), zero rows where absent
    present: dict[str, np.ndarray]  # stream -> (seconds,) bool
    missing: list[str] = field(default_factory=list)  # videos without cached features
    failed: list[tuple[str, str]] = field(default_factory=list)  # (video, why it is unreadable)

    def rows_of(self, video: str, seconds) -> np.ndarray:
        index = {key: row for row, key in enumerate(self.keys)}
        rows = [index.get((video, int(s))) for s in seconds]
        if any(row is None for row in rows):
            known = [s for v, s in self.keys if v == video]
            if not known:
                raise SimilarityError(f"{video}: not among the searched videos")
            raise SimilarityError(f"{video}: second out of range (0..{max(known)})")
        return np.asarray(rows, int)


def cached_features(path, cache: FeatureCache, visual_fps: int = DEFAULT_VISUAL_FPS):
    """(VideoFeatures, [streams the video has but the cache lacks]) of one video, from the cache
    alone; a stream the file does not have is simply absent."""
    info = probe_cached(path, cache)
    features = VideoFeatures(video=str(path), duration=info.duration)
    lacking = []
    if info.has_audio:
        audio = cache.load(path, "audio", audio_settings())
        if audio is None:
            lacking.append("audio")
        else:
            features.log_mel, features.audio_present = audio["log_mel"], audio["audio_present"]
    if info.has_video:
        settings = visual_extraction(visual_fps, frames_decoded_for(info.fps))
        visual = cache.load(path, "visual", settings)
        if visual is None:
            lacking.append("visual")
        else:
            features.visual, features.visual_present = visual["visual"], visual["visual_present"]
    return features, lacking


def _computed(path, lacking, cache, visual_fps, cancel) -> VideoFeatures:
    from .extract import video_features

    video_features(path, lacking, visual_fps, cache=cache, cancel=cancel)  # fills the cache
    features, still = cached_features(path, cache, visual_fps)
    if still:
        raise SimilarityError(f"{path}: its {', '.join(still)} features could not be cached")
    return features


def _unit_rows(x: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Standardise each dimension over the present rows, then scale rows to unit length."""
    out = np.zeros_like(x, dtype=np.float64)
    if present.sum() < 2:
        return out
    rows = x[present]
    standard = (rows - rows.mean(axis=0)) / np.maximum(rows.std(axis=0), 1e-6)
    norms = np.linalg.norm(standard, axis=1, keepdims=True)
    out[present] = standard / np.maximum(norms, 1e-12)
    return out


def library_embeddings(
    videos: dict,
    cache: FeatureCache | None = None,
    visual_fps: int = DEFAULT_VISUAL_FPS,
    compute: bool = False,
    progress=None,
    cancel=None,
) -> LibraryEmbeddings:
    """The per-second descriptions of `videos` ({name: path}) from the feature cache; with
    `compute`, features not cached yet are extracted (and cached) first, else those videos are
    listed in `missing`. `progress(done, total, name)` after each video."""
    cache = cache or FeatureCache()
    keys, parts, missing, failed = [], {s: [] for s in STREAMS}, [], []
    for done, (name, path) in enumerate(videos.items(), start=1):
        if cancel is not None and cancel():
            raise Cancelled("find similar: reading the features cancelled")
        if progress is not None:
            progress(done, len(videos), name)
        try:
            features, lacking = cached_features(path, cache, visual_fps)
            if lacking and compute:
                features = _computed(path, lacking, cache, visual_fps, cancel)
        except Cancelled:
            raise
        except AnnotatorError as exc:  # one unreadable file never ends the search
            failed.append((name, getattr(exc, "reason", str(exc))))
            continue
        if lacking and not compute:
            missing.append(name)
            continue
        seconds = features.seconds
        keys.extend((name, s) for s in range(seconds))
        for stream in STREAMS:
            parts[stream].append(_fit(stream_embeddings(features, stream), seconds))
    vectors, present = {}, {}
    for stream in STREAMS:
        dims = max((x.shape[1] for x, _p in parts[stream] if x.shape[1]), default=1)
        x = np.concatenate([_widen(x, dims) for x, _p in parts[stream]] or [np.zeros((0, dims))])
        mask = np.concatenate([p for _x, p in parts[stream]] or [np.zeros(0, bool)])
        vectors[stream], present[stream] = _unit_rows(x, mask), mask
    return LibraryEmbeddings(keys, vectors, present, missing, failed)


def _fit(described, seconds: int) -> tuple[np.ndarray, np.ndarray]:
    """A stream's (descriptions, presence) cut or padded to the video's seconds."""
    if described is None:
        return np.zeros((seconds, 0)), np.zeros(seconds, bool)
    x, present = described
    x, present = x[:seconds], np.asarray(present[:seconds], bool)
    short = seconds - len(x)
    if short > 0:
        x = np.concatenate([x, np.zeros((short, x.shape[1]))])
        present = np.concatenate([present, np.zeros(short, bool)])
    return x, present


def _widen(x: np.ndarray, dims: int) -> np.ndarray:
    return x if x.shape[1] == dims else np.zeros((len(x), dims))


def _query(library: LibraryEmbeddings, stream: str, rows: np.ndarray) -> np.ndarray | None:
    """The unit-length mean description of the query's seconds in one stream (None if absent)."""
    present = library.present[stream][rows]
    if not present.any():
        return None
    mean = library.vectors[stream][rows[present]].mean(axis=0)
    return mean / max(np.linalg.norm(mean), 1e-12)


def similarities(library: LibraryEmbeddings, video: str, seconds, search: str = "both"):
    """(per-second similarity to the query over the whole library (NaN where not comparable),
    the streams used). The query is one second or a span of seconds of `video`."""
    if search not in SEARCHES:
        raise SimilarityError(f"search must be one of {', '.join(SEARCHES)}, not {search!r}")
    rows = library.rows_of(video, seconds)
    streams = STREAMS if search == "both" else (search,)
    total, count = np.zeros(len(library.keys)), np.zeros(len(library.keys))
    used = []
    for stream in streams:
        query = _query(library, stream, rows)
        if query is None:
            continue
        used.append(stream)
        present = library.present[stream]
        total[present] += library.vectors[stream][present] @ query
        count += present
    if not used:
        where = f"{video}, {_span_text(seconds)}"
        words = " or ".join(STREAM_WORDS[s] for s in streams)
        raise SimilarityError(f"{where}: no {words} stream there to compare")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan), used


def _span_text(seconds) -> str:
    seconds = sorted(int(s) for s in seconds)
    return f"second {seconds[0]}" if len(seconds) == 1 else f"seconds {seconds[0]}–{seconds[-1]}"


def find_similar(
    library: LibraryEmbeddings, video: str, seconds, search: str = "both", top: int = 20
) -> tuple[list[Match], list[str]]:
    """The `top` seconds most like the query (its own seconds left out), best first, and the
    streams compared (a query second without a picture is compared by sound alone)."""
    scores, used = similarities(library, video, seconds, search)
    for row in library.rows_of(video, seconds):
        scores[row] = np.nan
    ranked = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")
    order = [row for row in ranked if not np.isnan(scores[row])]
    matches = [Match(*library.keys[row], float(scores[row])) for row in order[: max(0, top)]]
    return matches, used


def video_paths(folder) -> dict:
    """{store name: path} of the videos of a folder, as the project store names them."""
    from ..core.media_files import collect_videos
    from ..core.store import relative_video_name

    files, _problems, _skipped = collect_videos([Path(folder)], recursive=False)
    return {relative_video_name(folder, path): path for path in files}
