"""What to label next: unsure, disagreeing and rare-class seconds first; labelled ones never."""

from __future__ import annotations

import numpy as np

from annotator.core.suggestions import (
    UNANNOTATED_WORTH,
    best_seconds,
    second_worth,
    video_worth,
)
from annotator.core.table import build_table

CLASSES = ["Bell", "Frog", "background"]


def _table(confident, audio=None, visual=None):
    """A predicted table whose event head says `confident` (class index, confidence) per second."""
    probs = np.full((len(confident), 3), 0.0)
    for row, (index, confidence) in enumerate(confident):
        probs[row] = (1 - confidence) / 2
        probs[row, index] = confidence
    audio_probs = None if audio is None else np.eye(3)[audio]
    visual_probs = None if visual is None else np.eye(3)[visual]
    return build_table("v.mp4", float(len(confident)), CLASSES, probs, audio_probs, visual_probs)


def test_unsure_seconds_are_worth_more_and_labelled_ones_nothing():
    table = _table([(2, 0.99), (2, 0.6), (2, 0.9), (2, 0.4)])
    worth = second_worth(table, {}, {})
    assert list(np.argsort(-worth)) == [3, 1, 2, 0]
    assert second_worth(table, {3: "Bell"}, {})[3] == 0.0


def test_disagreeing_heads_and_rare_classes_raise_the_worth():
    agree = _table([(0, 0.8), (0, 0.8)], audio=[0, 0], visual=[0, 1])
    worth = second_worth(agree, {}, {"Bell": 100})
    assert worth[1] > worth[0]  # the heads disagree on second 1
    rare = second_worth(_table([(0, 0.8)]), {}, {"Bell": 0})
    common = second_worth(_table([(0, 0.8)]), {}, {"Bell": 400})
    assert rare[0] > common[0]


def test_a_video_is_worth_its_best_seconds_and_unannotated_ones_are_in_between():
    sure = _table([(2, 0.99)] * 10)
    unsure = _table([(2, 0.99)] * 8 + [(0, 0.4), (1, 0.35)])
    assert video_worth(unsure, {}, {}) > video_worth(sure, {}, {})
    assert video_worth(None, {}, {}) == UNANNOTATED_WORTH
    assert video_worth(None, {0: "Bell"}, {}) == 0.0


def test_best_seconds_come_from_different_runs_best_first():
    table = _table([(2, 0.9), (0, 0.4), (0, 0.41), (2, 0.9), (1, 0.5)])
    picks = best_seconds(table, {}, {}, count=3)
    assert [second for _worth, second in picks] == [1, 4, 0]
    assert [second for _w, second in best_seconds(table, {1: "Bell"}, {}, count=2)] == [2, 4]
