"""Out-of-fold scores: every labelled video scored by a model trained without it.

A bundle the user trains on a few dozen clips has a handful of validation videos; a confidence
map fitted on their dozen seconds is a step that flattens almost every second to one value. So
the labelled videos are split into folds; for each fold a model is trained on the other videos
(the same recipe, the same epochs) and scores that fold. The videos the main training held out
are one fold already (scored by the model that never saw them), so only the training videos
need new models. With 20 or more validation videos the validation split is enough and no fold
model is trained.

The fold models are thrown away: only their per-second outputs are kept, to fit the
calibration (calibrate.py) on seconds no model had learnt from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..core.errors import Cancelled
from .training_data import UNLABELLED, VideoSeconds

log = logging.getLogger(__name__)

# With this many held-out videos their seconds fit the calibration alone.
ENOUGH_VALIDATION_VIDEOS = 20
# Each fold model costs one training. Few videos: folds of two videos, so each fold model
# learns from nearly as many videos as the final one (its confidence is the final model's,
# not a weaker model's); more videos: at most this many fold models (a fold then holds more
# videos, and the time stays within the budget of 3 minutes for 40 clips on 2 cores).
MAX_FOLD_MODELS = 3
VIDEOS_PER_FOLD = 2


# Measured: a fold model of 40 epochs costs about 54 CPU seconds (40 novel clips, cached
# features; docs/confidence.md), so about this many minutes where one core does the work.
CALIBRATION_MINUTES_PER_FOLD = 0.9
HELD_OUT_SHARE = 0.15  # the share of labelled videos training holds out (split_for_training)


@dataclass
class ScoredVideo:
    """One held-out video's per-second outputs (by output name) and truth (UNLABELLED: none)."""

    name: str
    outputs: dict
    truth: np.ndarray
    complete: bool = True  # every second of the video was labelled (not a chosen few)


def fold_models_needed(training_videos: int, validation_videos: int) -> int:
    """How many fold models cover the training videos (0 where the validation split is
    enough, or nothing is held out at all)."""
    if validation_videos >= ENOUGH_VALIDATION_VIDEOS or training_videos < 2:
        return 0
    return int(min(MAX_FOLD_MODELS, int(np.ceil(training_videos / VIDEOS_PER_FOLD))))


def calibration_time_note(videos: int) -> str:
    """What calibrating the confidences adds to training `videos` labelled videos, in words
    (the training dialog shows it before the user starts)."""
    held_out = max(1, round(videos * HELD_OUT_SHARE)) if videos > 1 else 0
    folds = fold_models_needed(videos - held_out, held_out)
    if not folds:
        return "Confidences are calibrated on the held-out videos: no extra training."
    return (
        f"Calibrating the confidences then trains {folds} more model(s), each without some of "
        "your videos, so that confidence is fitted on seconds no model learnt from and ranks "
        f"likely mistakes first: about {folds * CALIBRATION_MINUTES_PER_FOLD:g} min more on "
        "2 cores."
    )


def folds_of(videos: list[VideoSeconds], count: int, seed: int) -> list[list[int]]:
    """`count` folds of video indices, each fold its share of the videos, and the videos of
    one class in different folds where there are folds enough: with two clips of a class, a
    fold holding both would leave its model without that class at all, where the final model
    always has it. A seeded shuffle, then the videos sorted by their class (stable), dealt
    round-robin."""
    order = np.random.default_rng(seed).permutation(len(videos))
    event_class = _event_classes(videos)
    order = order[np.argsort([event_class[i] for i in order], kind="stable")]
    return [sorted(order[fold::count].tolist()) for fold in range(count) if order[fold::count].size]


def _event_classes(videos: list[VideoSeconds]) -> list[int]:
    """Per video, the label it holds that is rarest across all the videos: its event rather
    than the background most videos share (-1 for a video with no labelled second)."""
    labelled = [v.truth[v.truth != UNLABELLED] for v in videos]
    everywhere = np.bincount(np.concatenate(labelled + [np.zeros(0, int)]).astype(int))
    return [
        int(min(np.unique(truth), key=lambda c: (everywhere[c], c))) if truth.size else -1
        for truth in labelled
    ]


def classes_learnt(videos: list[VideoSeconds]) -> set[int]:
    """The labels a model trained on `videos` was taught."""
    return {int(c) for v in videos for c in np.unique(v.truth) if c != UNLABELLED}


def video_outputs(model, video: VideoSeconds, inputs: tuple[str, ...], context: int) -> dict:
    """A Keras model's per-second outputs over one video, cut into context windows as
    annotation cuts them."""
    from .prediction import context_windows, run_windows
    from .training_windows import cut_window

    windows = context_windows(video.seconds, context)
    cut = [cut_window(video, start, start + context, inputs) for start, _end in windows]
    batch = {name: np.stack([w[name] for w in cut]) for name in inputs}
    outputs = run_windows(model, batch)
    merged = {
        name: np.zeros((video.seconds, v.shape[-1]), np.float32) for name, v in outputs.items()
    }
    for index, (start, end) in enumerate(windows):
        for name, value in outputs.items():
            merged[name][start:end] = value[index][: end - start]
    return merged


def score_videos(
    model, videos: list[VideoSeconds], inputs, context, taught=None
) -> list[ScoredVideo]:
    """Each video's outputs from `model`. With `taught` (the labels the model learnt), seconds
    of other labels count as unlabelled: a bundle is only ever asked about labels it was
    taught, so a fold model's seconds of a label it never saw say nothing of its confidence."""
    scored = []
    for v in videos:
        truth = v.truth
        if taught is not None:
            truth = np.where(np.isin(truth, sorted(taught)), truth, UNLABELLED)
        if (truth != UNLABELLED).any():
            outputs = video_outputs(model, v, inputs, context)
            scored.append(ScoredVideo(v.name, outputs, truth, bool((v.truth != UNLABELLED).all())))
    return scored


# Seconds somebody chose to label inside otherwise unlabelled videos are no sample of the
# library: the review queue hands out the seconds the model doubts most, so a confidence fitted
# on them reads too low for everything else (measured with the simulated reviewer: after two
# rounds the estimated accuracy of the unreviewed seconds fell 3.7 points below the truth).
# Where the videos labelled whole give this many seconds, they alone fit the confidence.
MIN_COMPLETE_SECONDS = 80


def representative(scored: list[ScoredVideo]) -> tuple[list[ScoredVideo], bool]:
    """The scored videos to fit the confidence on, and whether partly labelled ones were set
    aside (`MIN_COMPLETE_SECONDS`)."""
    complete = [v for v in scored if v.complete]
    enough = sum(int((v.truth != UNLABELLED).sum()) for v in complete) >= MIN_COMPLETE_SECONDS
    if enough and len(complete) < len(scored):
        return complete, True
    return scored, False


def out_of_fold_scores(
    train_videos: list[VideoSeconds],
    held_out: list[VideoSeconds],
    fit_without,
    inputs: tuple[str, ...],
    context: int,
    *,
    folds: int,
    seed: int,
    cancel=None,
) -> list[ScoredVideo]:
    """Each fold of `train_videos` scored by `fit_without(fold number, videos to learn
    from)`, a Keras model trained without that fold (the held-out videos are always among
    the videos it learns from)."""
    scored = []
    for index, fold in enumerate(folds_of(train_videos, folds, seed)):
        if cancel is not None and cancel():
            raise Cancelled("training cancelled; no bundle was written")
        chosen = set(fold)
        learn = [v for i, v in enumerate(train_videos) if i not in chosen] + list(held_out)
        log.info("calibration fold %d/%d: %d videos left out", index + 1, folds, len(fold))
        model = fit_without(index, learn)
        scored += score_videos(
            model, [train_videos[i] for i in fold], inputs, context, classes_learnt(learn)
        )
    return scored
