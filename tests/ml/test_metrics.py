"""The evaluation arithmetic on cases worked by hand (sed_eval's definitions)."""

import numpy as np
import pytest

from annotator.ml import metrics

A, B, BG = 0, 1, 2


def test_ece_of_a_constant_overconfident_guess_is_the_gap():
    confidence = np.full(100, 0.9)
    correct = np.arange(100) < 50
    assert metrics.expected_calibration_error(confidence, correct) == pytest.approx(0.4)


def test_ece_of_calibrated_draws_is_small_and_a_confidence_of_one_is_binned():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.2, 1.0, 20000)
    correct = rng.uniform(size=20000) < confidence
    assert metrics.expected_calibration_error(confidence, correct) < 0.02
    bins = metrics.reliability_bins(np.array([1.0, 0.0]), np.array([True, False]))
    assert [b["count"] for b in bins] == [1, 1] and bins[-1]["high"] == 1.0


def test_bootstrap_interval_brackets_the_pooled_accuracy_and_collapses_when_all_right():
    rng = np.random.default_rng(2)
    videos = [rng.uniform(size=10) < 0.8 for _ in range(50)]
    pooled = np.concatenate(videos).mean()
    low, high = metrics.bootstrap_interval(videos)
    assert low < pooled < high and high - low < 0.2
    assert metrics.bootstrap_interval([np.ones(5, bool)] * 4) == [1.0, 1.0]
    assert metrics.bootstrap_interval([]) is None


def test_segment_based_metrics_match_the_hand_count():
    truth = [BG, A, A, B]
    predicted = [BG, A, B, BG]
    result = metrics.segment_based(truth, predicted, BG, 3)
    # Second 1 right; second 2 a substitution (A -> B); second 3 a deletion (B missed).
    assert result["micro"]["f1"] == pytest.approx(0.4)
    assert result["micro"]["error_rate"] == pytest.approx(round(2 / 3, 4))
    assert (
        result["micro"]["substitutions"],
        result["micro"]["deletions"],
        result["micro"]["insertions"],
    ) == (1, 1, 0)
    # Class A: F1 2/3, ER 1/2; class B: F1 0, ER 2.
    assert result["macro"]["f1"] == pytest.approx(round(1 / 3, 4))
    assert result["macro"]["error_rate"] == pytest.approx(1.25)


def test_event_based_uses_the_onset_collar_and_the_offset_share_of_length():
    truth = [BG, A, A, A, BG]
    early_end = [BG, A, A, BG, BG]  # offset 1 s early: within half the 3 s event
    late_start = [BG, BG, A, A, BG]  # onset 1 s late: outside the 0.2 s collar
    assert metrics.event_based([(truth, early_end, 5.0)], BG, 3)["micro"]["f1"] == 1.0
    late = metrics.event_based([(truth, late_start, 5.0)], BG, 3)["micro"]
    assert late["f1"] == 0.0 and late["error_rate"] == 2.0  # one deletion, one insertion
    wrong_class = metrics.event_based([(truth, [BG, B, B, B, BG], 5.0)], BG, 3)["micro"]
    assert wrong_class["error_rate"] == 1.0  # one substitution


def test_events_end_at_the_video_duration():
    assert metrics.events_of([BG, A, A], BG, duration=2.4) == [(1.0, 2.4, A)]


def test_confusion_matrix_leaves_out_unknown_truth():
    matrix = metrics.confusion_matrix([0, 1, -1, 1], [0, 0, 1, 1], 2)
    assert matrix.tolist() == [[1, 0], [1, 1]]
