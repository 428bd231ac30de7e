"""The doubt score: likeliest-wrong seconds first, each with the reason a reviewer reads."""

from __future__ import annotations

import numpy as np

from annotator.core.doubt import doubt_scores, doubtful, second_doubt
from annotator.core.table import build_table

CLASSES = ["Church bell", "Frog chorus", "background"]


def _table(confident, audio=None, visual=None):
    """A predicted table whose fused head says (class index, confidence) per second."""
    probs = np.zeros((len(confident), 3))
    for row, (index, confidence) in enumerate(confident):
        probs[row] = (1 - confidence) / 2
        probs[row, index] = confidence
    audio_probs = None if audio is None else np.eye(3)[audio] * 0.9 + 0.1 / 3
    visual_probs = None if visual is None else np.eye(3)[visual] * 0.9 + 0.1 / 3
    return build_table("v.mp4", float(len(confident)), CLASSES, probs, audio_probs, visual_probs)


def test_low_confidence_is_doubted_and_named():
    table = _table([(2, 0.95), (2, 0.41), (2, 0.95), (2, 0.95)])
    doubts = second_doubt(table)
    assert doubts["doubt"].idxmax() == 1
    assert doubts["reason"][1] == "confidence 0.41"
    assert list(doubtful(doubts["doubt"].to_numpy(), 0.5)) == [False, True, False, False]


def test_disagreeing_heads_outrank_the_same_confidence_and_say_what_each_hears():
    table = _table([(0, 0.9)] * 3, audio=[0, 0, 0], visual=[0, 1, 0])
    doubts = second_doubt(table)
    assert doubts["doubt"][1] > doubts["doubt"][0]
    assert doubts["reason"][1].startswith(
        "heads disagree: sound says Church bell, picture says Frog chorus"
    )
    assert doubtful(doubts["doubt"].to_numpy(), 0.5)[1]  # confident, yet N visits it


def test_unfamiliar_seconds_are_doubted_the_more_the_further_out():
    table = _table([(2, 0.95)] * 3)
    doubts = second_doubt(table, familiarity=np.array([1.0, 0.9, 0.4]))
    assert doubts["doubt"][2] > doubts["doubt"][1] > doubts["doubt"][0]
    assert "unlike the training data" in doubts["reason"][1]
    assert "unlike the training data" not in doubts["reason"][0]
    assert list(doubtful(doubts["doubt"].to_numpy(), 0.5)) == [False, True, True]


def test_a_label_change_adds_doubt_on_both_sides_and_person_labels_end_it():
    table = _table([(2, 0.8), (2, 0.8), (0, 0.8), (0, 0.8)])
    doubts = second_doubt(table)
    assert doubts["doubt"][1] == doubts["doubt"][2] > doubts["doubt"][0]
    assert "label changes here (background → Church bell)" in doubts["reason"][2]
    reviewed = second_doubt(table, human={2: "background"})
    assert reviewed["doubt"][2] == 0.0 and reviewed["reason"][2] == "reviewed"
    # with second 2 now background, the edge moves to between 2 and 3
    assert reviewed["doubt"][3] > reviewed["doubt"][0]
    assert reviewed["doubt"][1] == reviewed["doubt"][0]
    assert list(doubt_scores(table, human={2: "background"})) == list(reviewed["doubt"])


def test_no_predictions_no_doubt():
    assert second_doubt(None).empty and len(doubt_scores(None)) == 0
