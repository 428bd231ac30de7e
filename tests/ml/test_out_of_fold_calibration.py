"""A bundle the user trains gets confidences that rank its right seconds above its wrong ones:
fitted on out-of-fold seconds (each labelled video scored by a model trained without it), by a
map that keeps many distinct values, and the card says how."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from annotator.core.demo.demo_data import generate_demo_data
from annotator.ml.bundle import out_of_fold_text
from annotator.ml.calibrate import fit_heads
from annotator.ml.calibration import calibrated_confidences, calibrated_probabilities
from annotator.ml.confidence_model import log_margin
from annotator.ml.metrics import expected_calibration_error, largest_value_share, right_wrong_auroc
from annotator.ml.out_of_fold import calibration_time_note, fold_models_needed, folds_of
from annotator.ml.training_data import VideoSeconds


def _saturated_video(rng, seconds: int, classes: int = 5):
    """A head that is right where its margin is wide: its top probability is 1.0 in float32 on
    most seconds (as a small model's fused softmax is), yet the runner-up still differs."""
    truth = rng.integers(0, classes, seconds)
    margin = rng.uniform(2, 40, seconds)
    right = rng.uniform(size=seconds) < 1 / (1 + np.exp(-(margin - 12) / 4))
    said = np.where(right, truth, (truth + 1 + rng.integers(0, classes - 1, seconds)) % classes)
    logits = np.zeros((seconds, classes))
    logits[np.arange(seconds), said] = margin
    probabilities = np.exp(logits - logits.max(1, keepdims=True)).astype(np.float32)
    probabilities /= probabilities.sum(1, keepdims=True)
    return {"event": probabilities}, truth


def test_a_saturated_head_still_ranks_by_its_margin_and_keeps_many_values():
    rng = np.random.default_rng(0)
    fit = [_saturated_video(rng, 10) for _ in range(40)]
    held = [_saturated_video(rng, 10) for _ in range(40)]
    top = np.concatenate([h["event"].max(1) for h, _t in held])
    assert largest_value_share(top) > 0.5  # the top probability alone: one value for most
    temperatures, maps, _before, _after = fit_heads(fit)
    # As annotation reads a bundle's card (pipeline.label_video).
    bundle = SimpleNamespace(
        card={"calibration": {"temperatures": temperatures, "confidence_maps": maps}}
    )
    confidence, correct = [], []
    for heads, truth in held:
        scaled = calibrated_probabilities(bundle, heads)
        confidence.append(calibrated_confidences(bundle, scaled)["event"])
        correct.append(scaled["event"].argmax(1) == truth)
    confidence, correct = np.concatenate(confidence), np.concatenate(correct)
    assert largest_value_share(confidence) < 0.05
    assert right_wrong_auroc(confidence, correct) > 0.8
    assert expected_calibration_error(confidence, correct) < 0.08
    assert log_margin(held[0][0]["event"]).min() > 1.0  # read past float32's 1.0


def test_right_wrong_auroc_counts_ties_as_half():
    assert right_wrong_auroc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert right_wrong_auroc([0.5, 0.5], [True, False]) == 0.5
    assert right_wrong_auroc([0.1, 0.9], [True, False]) == 0.0
    assert right_wrong_auroc([0.5, 0.6], [True, True]) is None


def test_folds_cover_the_training_videos_once_and_stop_when_validation_is_enough():
    assert fold_models_needed(8, 2) == 3
    assert fold_models_needed(34, 6) == 3
    assert fold_models_needed(100, 20) == 0
    assert fold_models_needed(1, 1) == 0
    # Eight videos, two of each of four events (label 0, the background, in every video).
    videos = [
        VideoSeconds(f"v{i}", np.array([0, 0, 1 + i // 2, 1 + i // 2, -1]), {}) for i in range(8)
    ]
    for seed in range(5):
        folds = folds_of(videos, 4, seed=seed)
        assert sorted(i for fold in folds for i in fold) == list(range(8))
        # The two videos of an event never share a fold (its model would not know the event).
        assert all(len({i // 2 for i in fold}) == len(fold) for fold in folds)
    # What the training dialog tells the user before training starts.
    assert "3 more model(s)" in calibration_time_note(10)
    assert "no extra training" in calibration_time_note(200)


@pytest.mark.training
def test_a_trained_bundle_is_calibrated_out_of_fold_and_ranks_held_out_seconds(demo_dir, tmp_path):
    from annotator.ml.evaluation import evaluate
    from annotator.ml.training import train

    bundle = train(demo_dir, "attention-light", tmp_path / "oof", epochs=6, seed=3)
    calibration = bundle.card["calibration"]
    assert calibration["data"].startswith("out-of-fold")
    # Every labelled video, each scored without it; a video whose labels its fold model was
    # never taught (a class of one clip) has no seconds to give.
    assert 8 <= calibration["videos"] <= 12
    assert calibration["confidence_maps"]["event"]["kind"] == "logistic"
    level = calibration["level_uncertainty"]  # a dozen videos: the level is a few points loose
    assert level["videos"] == calibration["videos"] and 0.03 < level["sd"] < 0.2
    # Its held-out accuracy is over every labelled video, not the validation split's few.
    assert bundle.held_out() == (level["accuracy"], level["videos"], level["sd"])
    assert level["videos"] > bundle.card["metrics"]["videos"]
    assert f"on {level['videos']} videos, each scored by a model" in out_of_fold_text(bundle.card)
    for head in ("audio", "visual"):  # the modality heads borrow the fused label's level
        assert calibration["confidence_maps"][head]["kind"] == "follows_fused"
    held_out = tmp_path / "held-out"
    generate_demo_data(held_out, clips=4, seed=5151)
    ranking = evaluate(held_out, bundle)["confidence_ranking"]
    assert ranking["event"]["distinct_values"] > 20
    assert ranking["event"]["largest_value_share"] < 0.2
    assert ranking["event"]["auroc_right_vs_wrong"] > 0.5


def test_the_confidence_never_falls_as_the_margin_grows_even_where_a_small_fit_says_so():
    from annotator.ml.confidence_model import (
        MIN_MARGIN_WEIGHT,
        apply_confidence_model,
        fit_confidence_model,
    )

    rng = np.random.default_rng(2)
    margin = rng.uniform(0, 5, 80)
    correct = margin < 2.5  # a weak model on few seconds: surer where it is wrong
    confidence_map = fit_confidence_model(margin[:, None], correct, ("margin",))
    assert confidence_map["weights"] == [MIN_MARGIN_WEIGHT]
    surer = np.array([[0.6, 0.4], [0.9, 0.1], [0.99, 0.01]])
    assert np.all(np.diff(apply_confidence_model(confidence_map, surer, {})) > 0)


@pytest.mark.training
def test_a_model_put_back_into_its_first_state_trains_exactly_as_a_new_one():
    """Calibration folds and the final model reuse one compiled model (training._Retrainable):
    put back, it must give the same losses as a model built afresh, dropout included."""
    import keras

    from annotator.ml import training
    from annotator.ml.architectures import DEFAULT_HYPERPARAMETERS
    from annotator.ml.model_types import model_type

    spec = model_type("visual")  # the quickest to trace; the reset is the same for every type

    def build():
        keras.utils.set_random_seed(0)
        model = spec.build(4, dict(DEFAULT_HYPERPARAMETERS))
        return training._compiled(model, spec.trained_outputs, 1e-3)

    def losses(model):
        out = []
        for step in range(2):
            rng = np.random.default_rng(step)
            x = {
                i.name: rng.normal(size=(8, *[6 if d is None else d for d in i.shape[1:]]))
                for i in model.inputs
            }
            y = {head: rng.integers(0, 4, size=(8, 6)) for head in spec.trained_outputs}
            history = model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
            out.append(history.history["loss"][-1])
        return out

    again = training._Retrainable(build, 0, 1e-3)
    first = losses(again.fresh())
    assert losses(again.fresh()) == pytest.approx(first, rel=1e-6)
    assert losses(build()) == pytest.approx(first, rel=1e-6)


def test_a_modality_head_is_trusted_where_the_other_heads_back_its_label():
    """The weakest support any head gives a label ranks a modality head's seconds: an audio
    head sure of itself (a wide margin) but contradicted by the fused head, which hears and
    sees, is the one likely wrong."""
    from annotator.ml.confidence_model import FEW_SECONDS_EVIDENCE, evidence, evidence_for

    def distribution(labels, margin):
        logits = np.zeros((len(labels), 3))
        logits[np.arange(len(labels)), labels] = margin
        p = np.exp(logits)
        return p / p.sum(1, keepdims=True)

    audio = distribution([0, 0, 1], 8.0)  # equally sure of all three seconds
    fused = distribution([0, 2, 1], 3.0)  # backs the audio label on seconds 0 and 2 only
    heads = {"event": fused, "audio": audio}
    assert evidence_for("audio", heads, 1000, 100) == FEW_SECONDS_EVIDENCE
    weakest, agreed = evidence(FEW_SECONDS_EVIDENCE, audio, heads).T
    assert weakest[1] < 0 < weakest[0] and weakest[0] == weakest[2]
    assert agreed.tolist() == [1.0, 0.0, 1.0]
    # Without the other heads it is the head's own margin.
    assert evidence(("weakest",), audio, {})[:, 0] == pytest.approx([8.0] * 3)


def test_seconds_chosen_for_review_do_not_fit_the_confidence_where_whole_videos_are_enough():
    from annotator.ml.out_of_fold import MIN_COMPLETE_SECONDS, ScoredVideo, representative

    whole = [ScoredVideo(f"w{i}", {}, np.zeros(10, int)) for i in range(MIN_COMPLETE_SECONDS // 10)]
    chosen = [ScoredVideo("c", {}, np.array([1, -1, -1, 2]), complete=False)]
    kept, set_aside = representative(whole + chosen)
    assert set_aside and kept == whole
    # Too few seconds labelled whole: every scored second fits it.
    kept, set_aside = representative(whole[:2] + chosen)
    assert not set_aside and len(kept) == 3


def test_a_modality_head_follows_the_fused_confidence():
    """Where a head names the fused label it is right exactly when the fused label is; where it
    names another, only where the fused label is wrong, at the rate the fit seconds show."""
    from annotator.ml.confidence_model import apply_following, fit_following

    head, fused, truth = np.array([0, 1, 2, 0]), np.array([0, 0, 2, 1]), np.array([0, 1, 0, 1])
    following = fit_following(head, fused, truth)
    # One second where the head differs and the fused label is wrong; the head was right.
    assert following["right_where_fused_is_wrong"] == pytest.approx(2 / 3, abs=1e-6)
    one_hot = np.eye(3)
    confidence = apply_following(
        following, one_hot[head], one_hot[fused], np.array([0.9, 0.6, 0.8, 0.7])
    )
    assert confidence == pytest.approx([0.9, 0.4 * 2 / 3, 0.8, 0.3 * 2 / 3], abs=1e-6)


def test_the_level_uncertainty_shrinks_with_videos_and_is_never_zero():
    from annotator.ml.calibrate import level_uncertainty

    def videos(count: int, wrong: int) -> list:
        right = [({"event": np.eye(3)[[1, 1, 1]]}, np.array([1, 1, 1]))] * (count - wrong)
        return right + [({"event": np.eye(3)[[2, 2, 2]]}, np.array([1, 1, -1]))] * wrong

    ten_right = level_uncertainty(videos(10, 0))
    # Ten videos all right still leave a model that misreads about one clip in twelve.
    sd = round(float(np.sqrt(11 / 12 * 1 / 12 / 10)), 4)
    assert ten_right == {"videos": 10, "sd": sd, "accuracy": 1.0, "seconds": 30}
    assert level_uncertainty(videos(10, 1))["accuracy"] == round(27 / 29, 4)  # its -1 left out
    assert level_uncertainty(videos(40, 4))["sd"] < level_uncertainty(videos(10, 1))["sd"]
    assert level_uncertainty([])["videos"] == 0
