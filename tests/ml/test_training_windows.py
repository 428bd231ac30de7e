"""Training windows: unlabelled seconds never teach, augmentations keep truth and features
together, and the held-out split keeps every class in training where it can."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from annotator.core.datasets import LabelledSet, LabelledVideo
from annotator.ml import training_windows as tw
from annotator.ml.training_data import UNLABELLED, VideoSeconds, class_weights, split_for_training
from annotator.ml.training_windows import WindowSampler, fixed_windows

INPUTS = ("log_mel", "audio_present", "visual", "visual_present")
BACKGROUND = 2


def _video(name: str, truth: list[int], seed: int) -> VideoSeconds:
    """Features that carry their own truth: every value of second s is truth[s] (or -5)."""
    truth = np.array(truth, np.int32)
    marks = np.where(truth == UNLABELLED, -5.0, truth).astype(np.float32)
    rng = np.random.default_rng(seed)
    return VideoSeconds(
        name,
        truth,
        {
            "log_mel": np.repeat(marks[:, None, None], 96, 1).repeat(64, 2)
            + rng.normal(0, 0.01, (len(truth), 96, 64)).astype(np.float32),
            "audio_present": np.ones(len(truth), np.float32),
            "visual": np.repeat(marks[:, None], 1280, 1),
            "visual_present": np.ones(len(truth), np.float32),
        },
    )


@pytest.fixture
def videos():
    return [
        _video("a", [2, 2, 0, 0, 0, -1, -1, 2, 2, 2, 2, 2], 0),
        _video("b", [2, 1, 1, 1, 2, 2, 2], 1),
        _video("c", [-1, -1, 0, 0, 2, 2, 2, 2, 1, 1, 2, 2, 2, 2], 2),
    ]


def test_plain_windows_keep_truth_weights_and_features_together(videos):
    weights = np.array([1.0, 2.0, 0.5], np.float32)
    sampler = WindowSampler(videos, INPUTS, 10, weights, BACKGROUND, True, augment=False)
    batch = sampler.epoch(64, np.random.default_rng(0))
    assert batch["log_mel"].shape == (64, 10, 96, 64) and batch["labels"].shape == (64, 10)
    marks = batch["visual"][..., 0]
    labelled = batch["weights"] > 0
    assert np.array_equal(marks[labelled], batch["labels"][labelled].astype(float))
    assert np.allclose(batch["weights"][labelled], weights[batch["labels"][labelled]])
    padded_or_unlabelled = ~labelled
    assert set(np.unique(marks[padded_or_unlabelled])) <= {-5.0, 0.0}  # never taught


def test_augmented_windows_still_pair_each_second_with_its_truth(videos, monkeypatch):
    monkeypatch.setattr(tw, "VISUAL_NOISE", 0.0)
    monkeypatch.setattr(tw, "SCENE_SWAP_SHARE", 0.0)
    monkeypatch.setattr(tw, "STREAM_REMOVAL_SHARE", 0.0)
    monkeypatch.setattr(tw, "HIDE_SHARE", 0.0)
    sampler = WindowSampler(videos, INPUTS, 10, np.ones(3, np.float32), BACKGROUND, True)
    batch = sampler.epoch(400, np.random.default_rng(1))
    labelled = batch["weights"] > 0
    assert np.array_equal(batch["visual"][..., 0][labelled], batch["labels"][labelled])
    whole = [
        (row[labelled_row] == row[labelled_row][0]).all() and labelled_row.all()
        for row, labelled_row in zip(batch["labels"], labelled)
    ]
    assert sum(whole) > 20  # composed windows: one class from start to end
    events = {int(c) for row, w in zip(batch["labels"], whole) if w for c in set(row)}
    assert events == {0, 1, 2}  # for the rare classes too, never seen whole in a video


def test_stream_removal_clears_a_stream_and_its_presence(videos, monkeypatch):
    monkeypatch.setattr(tw, "STREAM_REMOVAL_SHARE", 0.5)
    sampler = WindowSampler(videos, INPUTS, 10, np.ones(3, np.float32), BACKGROUND, True)
    batch = sampler.epoch(200, np.random.default_rng(2))
    no_audio = batch["audio_present"].sum(1) == 0
    no_pictures = batch["visual_present"].sum(1) == 0
    assert no_audio.any() and no_pictures.any() and not (no_audio & no_pictures).any()
    assert np.allclose(batch["visual"][no_pictures], 0.0)


def _only(monkeypatch, **shares) -> None:
    """Every augmentation that moves features off their truth marks off, but `shares`."""
    for name in ("VISUAL_NOISE", "SCENE_SWAP_SHARE", "STREAM_REMOVAL_SHARE", "MIX_SHARE"):
        monkeypatch.setattr(tw, name, 0.0)
    monkeypatch.setattr(tw, "AUDIO_NOISE", 0.0)
    monkeypatch.setattr(tw, "GAIN_DB", (0.0, 0.0))
    for name in ("REPAIR_SHARE", "HIDE_SHARE"):
        monkeypatch.setattr(tw, name, shares.get(name, 0.0))


def _with_video_ids(videos):
    """Second marks: the video's index in the visual's second column and the log-mel's last
    band, so a window shows which video each stream of each second came from."""
    for index, video in enumerate(videos):
        video.arrays["visual"][:, 1] = index
        video.arrays["log_mel"][:, :, -1] = index
    return videos


def test_repairing_takes_one_stream_of_an_event_from_another_video_of_its_class(
    videos, monkeypatch
):
    _only(monkeypatch, REPAIR_SHARE=1.0)
    videos = _with_video_ids(videos + [_video("d", [2, 0, 0, 0, 1, 1, 2], 3)])
    sampler = WindowSampler(videos, INPUTS, 10, np.ones(3, np.float32), BACKGROUND, True)
    batch = sampler.epoch(300, np.random.default_rng(4))
    labelled = batch["weights"] > 0
    audio_marks = np.round(batch["log_mel"][..., 0, 0])
    # Both streams of every labelled second still show its class...
    assert np.array_equal(batch["visual"][..., 0][labelled], batch["labels"][labelled])
    assert np.array_equal(audio_marks[labelled], batch["labels"][labelled])
    # ...but for some event seconds, from two different videos.
    events = labelled & (batch["labels"] != BACKGROUND)
    mixed = np.round(batch["log_mel"][..., 0, -1]) != batch["visual"][..., 1]
    assert (mixed & events).any() and not (mixed & ~events & labelled).any()


def test_hiding_shows_background_in_one_stream_of_an_event_and_keeps_its_label(videos, monkeypatch):
    _only(monkeypatch, HIDE_SHARE=1.0)
    sampler = WindowSampler(videos, INPUTS, 10, np.ones(3, np.float32), BACKGROUND, True)
    batch = sampler.epoch(300, np.random.default_rng(5))
    labels, labelled = batch["labels"], batch["weights"] > 0
    audio_marks = np.round(batch["log_mel"][..., 0, 0])
    visual_marks = batch["visual"][..., 0]
    events = labelled & (labels != BACKGROUND)
    seen = visual_marks == labels
    heard = audio_marks == labels
    assert (seen | heard)[events].all()  # never both streams hidden
    assert (events & ~seen & (visual_marks == BACKGROUND)).any()  # heard, not seen
    assert (events & ~heard & (audio_marks == BACKGROUND)).any()  # seen, not heard
    assert (seen & heard)[labelled & (labels == BACKGROUND)].all()  # background untouched


def test_held_out_windows_are_consecutive_and_unweighted(videos):
    held = fixed_windows(videos[:1], INPUTS, 10)
    assert held["labels"].shape == (2, 10)  # 12 s: two windows, the last shifted back
    assert list(held["weights"][0]) == [1, 1, 1, 1, 1, 0, 0, 1, 1, 1]


def test_rare_classes_weigh_more_and_the_mean_weight_is_one():
    counts = {"Bell": 10, "Frog": 90, "background": 300}
    weights = class_weights(counts, ["Bell", "Frog", "background"])
    assert weights[0] > weights[1] > weights[2]
    assert np.isclose((weights * np.array([10, 90, 300])).sum() / 400, 1.0)


def _labelled(name, labels):
    return LabelledVideo(Path(name), labels, complete=False)


def test_held_out_videos_leave_every_class_in_training_where_they_can():
    videos = [_labelled(f"v{i}", ["Bell", "background"]) for i in range(6)]
    videos += [_labelled("frog1", ["Frog", "background"]), _labelled("frog2", ["Frog", None])]
    videos += [_labelled("nothing", [None, None])]
    labelled = LabelledSet("x", videos, ["Bell", "Frog", "background"])
    for seed in range(10):
        train, held = split_for_training(labelled, seed, val_fraction=0.3)
        assert len(held) == 2 and "nothing" not in {v.path.name for v in train + held}
        names = {v.path.name for v in held}
        assert not {"frog1", "frog2"} <= names  # one Frog video always trains
    only = LabelledSet(
        "y", [_labelled("a", ["Bell", "background"]), _labelled("b", ["Frog", "background"])]
    )
    train, held = split_for_training(only, 0)
    assert len(train) == 1 and len(held) == 1  # a class is lost: the caller refits
