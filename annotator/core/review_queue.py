"""The library's review queue: the unreviewed seconds of every video, most doubtful first, and how
good the unreviewed rest is estimated to be.

The same queue drives the app's review panel, `review` and the simulated reviewer. A second is
reviewed once a person has labelled it (accepting the model's label is labelling it). The
estimated accuracy of the unreviewed seconds is their mean calibrated confidence — confidence is
the probability that the label is right — with a 95 % interval. Wrong seconds come in runs (an
event a second off, a clip the model misreads), so the interval treats each run of one predicted
label in a video as moving together, not each second on its own: narrower than that would
promise more than the data can. The confidence's level itself is only as sure as the number of
videos it was fitted on (bundles trained on 10 clips: from 18 points too low to 10 too high on
six seeds, docs/confidence.md), so the interval also holds the level's uncertainty the bundle's
card records (`level_sd`, passed in by the caller). Plain Python: no Qt, no TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from .conventions import Z_95
from .doubt import second_doubt

# From this level uncertainty on (a confidence fitted on a few dozen videos or fewer), the
# estimate says what makes it wide and what narrows it.
WIDE_LEVEL_SD = 0.05
WIDE_LEVEL_HINT = (
    "; wide because the model's confidence was fitted on few videos: labelling whole videos "
    "and training again narrows it"
)


@dataclass
class VideoSeconds:
    """What the queue needs of one video: its predicted per-second table (empty or None when not
    annotated yet), the bundle's per-second familiarity (or None) and the person's labels."""

    video: str
    predictions: pd.DataFrame | None
    familiarity: np.ndarray | None = None
    human: dict[int, str] = field(default_factory=dict)
    duration: float | None = None


@dataclass
class QueueItem:
    video: str
    second: int
    label: str  # the model's
    confidence: float
    doubt: float
    reason: str
    audio_label: str = ""
    visual_label: str = ""

    def as_dict(self) -> dict:
        return {
            "video": self.video,
            "second": self.second,
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "doubt": round(self.doubt, 4),
            "reason": self.reason,
            "audio_label": self.audio_label,
            "visual_label": self.visual_label,
        }


@dataclass
class AccuracyEstimate:
    """Estimated share of the unreviewed seconds whose label is right, with a 95 % interval."""

    accuracy: float | None  # None when there is no unreviewed predicted second
    low: float | None
    high: float | None
    seconds: int
    level_sd: float = 0.0  # how far the confidences' level may be off (the bundle's card)

    @property
    def mean(self) -> float | None:
        """The same number by its statistical name: the mean calibrated confidence."""
        return self.accuracy

    def describe(self) -> str:
        if self.accuracy is None:
            return "estimated accuracy of the unreviewed seconds: none left"
        return (
            f"estimated accuracy of the {self.seconds} unreviewed seconds: "
            f"{self.accuracy * 100:.1f} % (95 % interval {self.low * 100:.1f}–{self.high * 100:.1f})"
            + (WIDE_LEVEL_HINT if self.level_sd >= WIDE_LEVEL_SD else "")
        )

    def as_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "low": self.low,
            "high": self.high,
            "seconds": self.seconds,
            "level_sd": self.level_sd,
        }


@dataclass
class ReviewQueue:
    items: list[QueueItem]  # every unreviewed predicted second, most doubtful first
    reviewed_seconds: int
    total_seconds: int  # seconds of the videos with predictions or human labels
    estimate: AccuracyEstimate
    unannotated: list[str]  # videos with no predictions yet (not in the queue)

    def top(self, limit: int | None) -> list[QueueItem]:
        return self.items if limit is None else self.items[: max(0, limit)]

    def progress(self) -> str:
        share = 100 * self.reviewed_seconds / max(self.total_seconds, 1)
        return f"{self.reviewed_seconds} of {self.total_seconds} seconds reviewed ({share:.0f} %)"


def _run_ids(labels: np.ndarray) -> np.ndarray:
    if not len(labels):
        return np.zeros(0, int)
    return np.concatenate([[0], np.cumsum(labels[1:] != labels[:-1])])


def estimate_accuracy(
    confidences: Iterable[np.ndarray], labels: Iterable[np.ndarray], level_sd: float = 0.0
):
    """Mean confidence of the given seconds with a 95 % interval; each pair of arrays is one
    video's unreviewed seconds (in time order) and their predicted labels. `level_sd`: how far
    the confidences' level may be off (a standard deviation), added to the sampling spread."""
    total, count, variance = 0.0, 0, 0.0
    for confidence, label in zip(confidences, labels):
        confidence = np.clip(np.asarray(confidence, float), 0.0, 1.0)
        if not len(confidence):
            continue
        total += float(confidence.sum())
        count += len(confidence)
        spread = np.sqrt(confidence * (1.0 - confidence))
        runs = _run_ids(np.asarray(label))
        # A run's seconds are right or wrong together: their standard deviations add.
        variance += float((np.bincount(runs, weights=spread) ** 2).sum())
    if not count:
        return AccuracyEstimate(None, None, None, 0, level_sd)
    mean = total / count
    half = Z_95 * math.sqrt(variance / count**2 + level_sd**2)
    return AccuracyEstimate(mean, max(0.0, mean - half), min(1.0, mean + half), count, level_sd)


def _items_of(video: VideoSeconds) -> tuple[list[QueueItem], np.ndarray, np.ndarray]:
    """The unreviewed seconds of one video as queue items, and their confidences and labels."""
    table = video.predictions
    doubts = second_doubt(table, video.familiarity, video.human)
    unreviewed = ~doubts["second"].isin(list(video.human)).to_numpy()
    audio = table["audio_label"].fillna("").astype(str).to_numpy()
    visual = table["visual_label"].fillna("").astype(str).to_numpy()
    items = [
        QueueItem(
            video.video,
            int(row.second),
            str(row.label),
            float(row.confidence),
            float(row.doubt),
            str(row.reason),
            audio[i],
            visual[i],
        )
        for i, row in enumerate(doubts.itertuples(index=False))
        if unreviewed[i]
    ]
    kept = doubts[unreviewed]
    return items, kept["confidence"].to_numpy(float), kept["label"].to_numpy()


def _seconds_of(video: VideoSeconds) -> int:
    if video.predictions is not None and len(video.predictions):
        return len(video.predictions)
    if video.duration:
        return max(1, math.ceil(round(float(video.duration), 3)))
    return len(video.human)


@dataclass
class VideoPart:
    """One video's share of the queue, so a change to one video recomputes only its part."""

    items: list[QueueItem]
    confidences: np.ndarray  # of its unreviewed seconds, in time order
    labels: np.ndarray
    seconds: int
    reviewed: int
    annotated: bool


def video_part(video: VideoSeconds) -> VideoPart:
    """The video's part of the queue (empty for a video with neither predictions nor labels)."""
    predicted = video.predictions is not None and len(video.predictions) > 0
    if not predicted and not video.human:
        return VideoPart([], np.zeros(0), np.zeros(0), 0, 0, False)
    items, confidences, labels = _items_of(video) if predicted else ([], np.zeros(0), np.zeros(0))
    return VideoPart(items, confidences, labels, _seconds_of(video), len(video.human), predicted)


def combine(parts: dict[str, VideoPart], level_sd: float = 0.0) -> ReviewQueue:
    """The queue of a library from its videos' parts: most doubtful first (ties: by video, then
    second), progress, and the estimated accuracy of the rest (`level_sd`: estimate_accuracy)."""
    items = [item for part in parts.values() for item in part.items]
    items.sort(key=lambda item: (-item.doubt, item.video, item.second))
    estimate = estimate_accuracy(
        [p.confidences for p in parts.values()], [p.labels for p in parts.values()], level_sd
    )
    return ReviewQueue(
        items,
        sum(p.reviewed for p in parts.values()),
        sum(p.seconds for p in parts.values()),
        estimate,
        [name for name, part in parts.items() if not part.annotated],
    )


def build_queue(videos: Iterable[VideoSeconds], level_sd: float = 0.0) -> ReviewQueue:
    """The review queue of a library: every unreviewed predicted second, most doubtful first
    (ties: by video, then second), progress and the estimated accuracy of the rest."""
    return combine({video.video: video_part(video) for video in videos}, level_sd)


class LibraryQueue:
    """The queue of a project store kept up to date video by video: after an edit or a new
    run only the videos it touched are read again (a 90-video library takes seconds to read
    whole, and the app rebuilds the queue after every key)."""

    def __init__(self, store, level_of=None):
        self.store = store
        self.parts: dict[str, VideoPart] = {}
        # level_of(model tags) -> the level_sd of the bundles that made the predictions
        self.level_of = level_of
        self.level_sd = 0.0

    def reload(self) -> ReviewQueue:
        rows = self.store.videos()
        self.parts = {video.video: video_part(video) for video in store_videos(self.store, rows)}
        self.level_sd = library_level_sd(rows, self.level_of)
        return self.queue()

    def update(self, names: Iterable[str]) -> ReviewQueue:
        for name in names:
            self.parts[name] = video_part(_video_seconds(self.store, name, None))
        return self.queue()

    def queue(self) -> ReviewQueue:
        return combine(self.parts, self.level_sd)


def _video_seconds(store, name: str, duration: float | None) -> VideoSeconds:
    if duration is None:
        duration = store.video(name)["duration"]
    return VideoSeconds(
        name,
        store.predictions(name),
        store.familiarity(name),
        store.human_labels(name),
        None if duration is None or pd.isna(duration) else float(duration),
    )


def store_videos(store, rows: pd.DataFrame) -> Iterator[VideoSeconds]:
    """Each video of a project store (core.store.ProjectStore) as the queue reads it; `rows` is
    the store's `videos()` (read once: the model tags come from it too)."""
    for row in rows.itertuples(index=False):
        yield _video_seconds(store, row.video, row.duration)


def library_level_sd(rows: pd.DataFrame, level_of=None) -> float:
    """`level_of(the model tags in the store's video rows)`, or 0 without it."""
    if level_of is None:
        return 0.0
    return float(level_of(set(rows["model"].dropna())))


def queue_from_store(store, level_of=None) -> ReviewQueue:
    """The review queue of the videos in a project store, as the app and `review` show it."""
    rows = store.videos()
    return build_queue(store_videos(store, rows), library_level_sd(rows, level_of))
