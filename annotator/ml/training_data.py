"""What training learns from: the labelled seconds of each video, checked, split and weighted.

A second nobody labelled has the index UNLABELLED and weight 0: it is never background. The
checks turn every way the labels can fall short (none at all, one class only, a class with one
second, a single labelled video) into one sentence the user can act on, before any model is
built; the app shows the same sentences before it offers to train.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..core.conventions import BACKGROUND
from ..core.datasets import LabelledSet, LabelledVideo
from ..core.errors import AnnotatorError, Cancelled, DataSpecError
from ..core.model_inputs import MODEL_INPUTS
from .pipeline import FeatureNeeds, prepare_video

log = logging.getLogger(__name__)

UNLABELLED = -1
MIN_SECONDS_PER_CLASS = 3
INPUT_NAMES = MODEL_INPUTS


class TrainingDataError(DataSpecError):
    """The labels cannot train a model yet; the message says what to label."""


@dataclass
class VideoSeconds:
    """One video's per-second features and truth (class indices, UNLABELLED where none)."""

    name: str
    truth: np.ndarray
    arrays: dict = field(default_factory=dict)
    dropout: str = ""

    @property
    def seconds(self) -> int:
        return len(self.truth)


# ---- checks ----------------------------------------------------------------------------------


def labelled_counts(videos: list[LabelledVideo]) -> Counter:
    """Labelled seconds per class (background included) over `videos`."""
    return Counter(label for video in videos for label in video.labels if label is not None)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def label_problems(labelled: LabelledSet, min_seconds: int = MIN_SECONDS_PER_CLASS) -> list[str]:
    """Why these labels cannot train a model yet (empty when they can), in the user's words."""
    videos = [v for v in labelled.videos if v.labelled_seconds()]
    counts = labelled_counts(videos)
    if not counts:
        return [
            "No second is labelled yet: label a few videos first (paint on the Human lane, "
            "press a class's number key, or accept predictions with A)."
        ]
    problems = []
    if len(counts) < 2:
        only = next(iter(counts))
        problems.append(
            f"Only one class is labelled ({only}): a model needs at least two, "
            f"for instance an event and {BACKGROUND} (key 0)."
        )
    if len(videos) < 2 and not labelled.split("train"):
        problems.append(
            "Only one video is labelled: label at least two, because one is held "
            "out to measure the model."
        )
    for name, count in sorted(counts.items()):
        if count < min_seconds:
            problems.append(
                f"{name!r} has only {_plural(count, 'labelled second')}: label at "
                f"least {min_seconds} seconds of every class, or merge or remove it "
                "(Classes…)."
            )
    return problems


def check_labels(labelled: LabelledSet) -> None:
    problems = label_problems(labelled)
    if problems:
        raise TrainingDataError(f"{labelled.source}: cannot train yet. " + " ".join(problems))


# ---- the held-out videos ---------------------------------------------------------------------


def split_for_training(labelled: LabelledSet, seed: int, val_fraction: float = 0.15):
    """(train, held-out) videos: the SPEC's own split where it has one, else a seeded choice of
    labelled videos that leaves every class some training seconds where it can."""
    if labelled.split("train"):
        train = labelled.split("train")
        val = labelled.split("val") or labelled.split("test")
        return train, val
    videos = [v for v in labelled.videos if v.labelled_seconds()]
    if len(videos) < 2:
        return videos, []
    wanted = max(1, int(round(len(videos) * val_fraction)))
    order = np.random.default_rng(seed).permutation(len(videos))
    remaining = labelled_counts(videos)
    held: list[int] = []
    for index in order:
        if len(held) == wanted:
            break
        counts = labelled_counts([videos[index]])
        if all(remaining[name] - count > 0 for name, count in counts.items()):
            held.append(int(index))
            remaining -= counts
    if not held:
        # Every video holds a class no other one has: hold out the one whose loss costs the
        # fewest training seconds; the caller trains again on everything afterwards.
        cost = [
            sum(c for n, c in labelled_counts([v]).items() if remaining[n] == c) for v in videos
        ]
        held = [int(np.argmin(cost))]
    train = [v for i, v in enumerate(videos) if i not in held]
    val = [videos[i] for i in sorted(held)]
    return train, val


def classes_missing_from(train: list[LabelledVideo], classes: list[str]) -> list[str]:
    present = labelled_counts(train)
    return [name for name in classes if not present.get(name)]


# ---- per-second arrays -----------------------------------------------------------------------


def video_seconds(
    videos: list[LabelledVideo],
    architecture: str,
    visual_fps: int,
    class_index: dict,
    cache,
    progress=None,
    cancel=None,
) -> list[VideoSeconds]:
    """Features (through the cache) and truth of each video; unreadable ones are skipped."""
    needs = FeatureNeeds(architecture, visual_fps)
    out, skipped = [], []
    for done, video in enumerate(videos, start=1):
        try:
            features = prepare_video(video.path, needs, cache=cache, cancel=cancel).features
        except Cancelled:
            raise
        except AnnotatorError as exc:
            skipped.append(str(exc))
            log.warning("skipping %s", exc)
            continue
        labels = video.labels_for(features.seconds)
        truth = np.array(
            [UNLABELLED if label is None else class_index[label] for label in labels], np.int32
        )
        arrays = {
            name: getattr(features, name)
            for name in INPUT_NAMES
            if getattr(features, name) is not None
        }
        out.append(VideoSeconds(str(video.path), truth, arrays, video.dropout))
        if progress:
            progress(done, len(videos), video.path.name)
    if not out and videos:
        raise DataSpecError("no usable videos: " + "; ".join(skipped[:5]))
    return out


def seconds_per_class(videos: list[VideoSeconds], classes: list[str]) -> dict[str, int]:
    counts = np.bincount(
        np.concatenate([v.truth[v.truth >= 0] for v in videos] or [[]]).astype(int),
        minlength=len(classes),
    )
    return {name: int(counts[i]) for i, name in enumerate(classes)}


def class_weights(counts: dict[str, int], classes: list[str]) -> np.ndarray:
    """Per-class loss weights: rare classes count more (square root of the inverse frequency,
    so a class of five seconds does not drown the rest), averaging 1 over the seconds."""
    n = np.array([counts.get(name, 0) for name in classes], float)
    weights = np.where(n > 0, np.sqrt(n.sum() / np.maximum(n, 1) / max(1, (n > 0).sum())), 0.0)
    mean = (weights * n).sum() / max(n.sum(), 1)
    return (weights / mean if mean > 0 else weights).astype(np.float32)
