"""What to label next: the seconds, and the videos, where a person's label would help most.

A second's worth is its doubt (core.doubt: the one score behind `N` and the review queue —
low calibrated confidence, disagreeing heads, unlike the training data, a label change next to
it), raised where the model names a class that has few human labels yet (so rare classes catch
up). Seconds a person labelled are worth nothing more. A video's worth is the mean of its best
few seconds, so one long video does not outrank many short ones by length alone. Arrays in,
numbers out: no store, no Qt.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .conventions import BACKGROUND
from .doubt import doubt_scores

RARE_CLASS_WEIGHT = 0.5
SECONDS_PER_VIDEO_SCORE = 5
UNANNOTATED_WORTH = 0.5  # a video the model has not seen yet: worth a look, not first


def second_worth(
    predictions: pd.DataFrame,
    human: dict[int, str],
    labelled_seconds: dict[str, int],
    familiarity: np.ndarray | None = None,
) -> np.ndarray:
    """Per second of the predictions: how much a label there would help (0 where labelled)."""
    if predictions is None or not len(predictions):
        return np.zeros(0)
    worth = doubt_scores(predictions, familiarity, human)
    labels = predictions["label"].astype(str).to_numpy()
    rarity = np.array(
        [
            0.0 if label == BACKGROUND else 1.0 / (1.0 + math.sqrt(labelled_seconds.get(label, 0)))
            for label in labels
        ]
    )
    worth += RARE_CLASS_WEIGHT * rarity
    seconds = predictions["second"].to_numpy(int)
    worth[np.isin(seconds, list(human))] = 0.0
    return worth


def video_worth(
    predictions: pd.DataFrame,
    human: dict[int, str],
    labelled_seconds: dict[str, int],
    familiarity: np.ndarray | None = None,
) -> float:
    """How much labelling this video would help; UNANNOTATED_WORTH before any prediction."""
    if predictions is None or not len(predictions):
        return UNANNOTATED_WORTH if not human else 0.0
    worth = np.sort(second_worth(predictions, human, labelled_seconds, familiarity))[::-1]
    return float(worth[:SECONDS_PER_VIDEO_SCORE].mean())


def best_seconds(
    predictions: pd.DataFrame,
    human: dict[int, str],
    labelled_seconds: dict[str, int],
    count: int = 3,
) -> list[tuple[float, int]]:
    """The `count` most useful seconds of a video to label, as (worth, second), best first;
    each is taken from a different run of equal predictions, so they are not neighbours."""
    worth = second_worth(predictions, human, labelled_seconds)
    if not len(worth):
        return []
    labels = predictions["label"].astype(str).to_numpy()
    run_of = np.concatenate([[0], np.cumsum(labels[1:] != labels[:-1])])
    chosen, runs_taken = [], set()
    for second in np.argsort(-worth, kind="stable"):
        if worth[second] <= 0 or len(chosen) == count:
            break
        if run_of[second] in runs_taken:
            continue
        runs_taken.add(run_of[second])
        chosen.append((float(worth[second]), int(predictions["second"].iloc[second])))
    return chosen
