"""Temperature scaling and the familiarity summary on data whose answer is known."""

import zipfile

import numpy as np
import pytest

from annotator.core.features import VideoFeatures
from annotator.ml.calibration import (
    fit_confidence_map,
    fit_temperature,
    head_confidence,
    honest_confidence,
    scale_probabilities,
)
from annotator.ml.familiarity import FAMILIARITY_FILE, fit_summary, load_summary
from annotator.ml.metrics import expected_calibration_error


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_fitted_temperature_undoes_a_known_overconfidence():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (6000, 5))
    truth = np.array([rng.choice(5, p=p) for p in _softmax(logits)])
    overconfident = _softmax(logits * 2.5)
    temperature = fit_temperature(overconfident, truth)
    assert temperature == pytest.approx(2.5, rel=0.1)
    fixed = scale_probabilities(overconfident, temperature)
    assert (fixed.argmax(1) == overconfident.argmax(1)).all()
    before = expected_calibration_error(overconfident.max(1), overconfident.argmax(1) == truth)
    after = expected_calibration_error(fixed.max(1), fixed.argmax(1) == truth)
    assert after < 0.03 < before


def test_the_confidence_map_fixes_a_head_that_guesses_between_two_labels():
    """Like the audio head: sure and right on background, 0.6-0.75 sure but right half the
    time on events. No temperature fixes both; the isotonic map does, order kept."""
    rng = np.random.default_rng(5)
    top = np.concatenate([rng.uniform(0.85, 1.0, 3000), rng.uniform(0.55, 0.78, 3000)])
    correct = np.concatenate([rng.uniform(size=3000) < top[:3000], rng.uniform(size=3000) < 0.48])
    fit, test = np.arange(0, 6000, 2), np.arange(1, 6000, 2)
    mapping = fit_confidence_map(top[fit], correct[fit])
    assert np.all(np.diff(mapping["confidence"]) >= 0)
    probabilities = np.stack([top, 1 - top], 1)
    confidence = head_confidence(probabilities[test], mapping)
    assert expected_calibration_error(top[test], correct[test]) > 0.08
    assert expected_calibration_error(confidence, correct[test]) < 0.03
    assert head_confidence(probabilities[:5], None).tolist() == top[:5].tolist()


def test_unfamiliar_confidence_is_at_most_half_and_familiar_is_unchanged():
    confidence = np.array([0.9, 0.9, 0.9])
    assert honest_confidence(confidence, np.array([1.0, 0.99, 0.2])).tolist() == pytest.approx(
        [0.9, 0.9 * 0.5 * 0.99, 0.9 * 0.5 * 0.2]
    )


def _features(visual: np.ndarray) -> VideoFeatures:
    n = len(visual)
    return VideoFeatures(
        "x", float(n), visual=visual.astype(np.float32), visual_present=np.ones(n, np.float32)
    )


def test_familiarity_flags_far_seconds_and_about_the_target_share_of_like_ones(tmp_path):
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 4, (3, 64))

    def seconds(n, shift=0.0):
        classes = rng.integers(0, 3, n)
        return centres[classes] + rng.normal(0, 1, (n, 64)) + shift, classes

    fit = [(_features(x), c) for x, c in (seconds(100) for _ in range(10))]
    held = [_features(seconds(100)[0]) for _ in range(10)]
    summary, card = fit_summary(fit, held, ("visual",), target=0.02)
    assert card["held_out_flagged_share"] == pytest.approx(0.02, abs=0.005)
    fresh = np.concatenate([summary.familiarity(_features(seconds(100)[0])) for _ in range(5)])
    assert (fresh < 1).mean() < 0.05
    far = summary.familiarity(_features(seconds(50, shift=3.0)[0]))
    assert (far < 1).all()

    summary.save(tmp_path)
    with zipfile.ZipFile(tmp_path / FAMILIARITY_FILE) as archive:  # plain arrays only
        for name in archive.namelist():
            with archive.open(name) as member:
                header = member.read(128)
                assert b"'descr': '|O'" not in header
    probe = _features(np.concatenate([centres, seconds(5, shift=3.0)[0]]))
    assert np.allclose(load_summary(tmp_path).familiarity(probe), summary.familiarity(probe))


def test_with_few_held_out_videos_the_threshold_also_learns_from_the_fit_videos(monkeypatch):
    """Like a user's own bundle: videos differ from one another (each its own scene), and the
    few validation videos happen to sit near the middle. Their seconds alone would set a
    threshold that flags much of every new video of the same kind; fit videos each scored by a
    summary fitted without them show how far a new video lies."""
    from annotator.ml import familiarity

    rng = np.random.default_rng(11)
    centres = rng.normal(0, 4, (3, 64))

    def video(scene_spread=1.5):
        classes = rng.integers(0, 3, 10)
        scene = rng.normal(0, scene_spread, 64)
        return centres[classes] + scene + rng.normal(0, 1, (10, 64)), classes

    fit = [(_features(x), c) for x, c in (video() for _ in range(30))]
    lucky_held = [_features(video(scene_spread=0.2)[0]) for _ in range(3)]
    new_videos = [_features(video()[0]) for _ in range(40)]

    def flagged_share(summary):
        return np.mean(np.concatenate([summary.familiarity(v) < 1 for v in new_videos]))

    summary, card = fit_summary(fit, lucky_held, ("visual",), target=0.02)
    assert "cross_fitted" in card and card["held_out_seconds"] == 30 + 300
    assert flagged_share(summary) < 0.1
    monkeypatch.setattr(familiarity, "FEW_HELD_OUT_VIDEOS", 0)  # held-out videos only
    summary, card = fit_summary(fit, lucky_held, ("visual",), target=0.02)
    assert "cross_fitted" not in card and flagged_share(summary) > 0.3


def test_a_bundle_without_a_summary_has_none(tmp_path):
    assert load_summary(tmp_path) is None


def test_a_small_set_fits_the_threshold_out_of_fold_on_seconds_of_classes_it_still_has():
    """Ten clips, as a user's first bundle: the threshold is fitted on the two held-out videos
    and on every fit video scored by a summary fitted without it, but a video whose class no
    other video has does not count (a new clip of a taught class always has its class in the
    summary)."""
    rng = np.random.default_rng(5)
    centres = rng.normal(0, 4, (4, 64))

    def video(label):
        classes = np.full(10, label)
        return _features(centres[classes] + rng.normal(0, 1, (10, 64))), classes

    fit = [video(label) for label in (0, 0, 1, 1, 2, 2, 0, 3)]  # class 3: one video only
    held = [video(1)[0], video(2)[0]]
    summary, card = fit_summary(fit, held, ("visual",), target=0.02)
    assert "cross_fitted" in card
    assert card["held_out_seconds"] == 20 + 7 * 10  # the class-3 video's seconds left out
    new_same_classes = [video(label)[0] for label in (0, 1, 2, 3) for _ in range(5)]
    flagged = np.concatenate([summary.familiarity(v) < 1 for v in new_same_classes])
    assert flagged.mean() < 0.1
    assert (summary.familiarity(_features(rng.normal(0, 4, (20, 64)) + 12.0)) < 1).all()
