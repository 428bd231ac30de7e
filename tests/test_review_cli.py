"""`review` and `similar` as a user runs them, on real demo clips, the shipped model and a real
project store; and the bad cases: no predictions, one video, a file that is not a video, a
second with no picture."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from annotator.cli import main

pytestmark = pytest.mark.slow  # annotates a dozen clips once (about 30 s on a quiet machine)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_ATTENTION = PROJECT_ROOT / "models" / "attention"


def _copy(source: Path, target: Path, names=None) -> Path:
    target.mkdir(parents=True)
    for path in sorted(source.glob("*.mp4")):
        if names is None or path.name in names:
            shutil.copy2(path, target / path.name)
    shutil.copy2(source / "labels.csv", target / "labels.csv")
    return target


@pytest.fixture(scope="module")
def reviewed(demo_dir, tmp_path_factory) -> Path:
    """The demo clips, annotated into their store by `review --model` (the shipped bundle)."""
    if not (SHIPPED_ATTENTION / "model.keras").exists():
        pytest.skip("the shipped bundles are not built here (scripts/train_shipped_models.sh)")
    folder = _copy(demo_dir, tmp_path_factory.mktemp("review") / "clips")
    assert main(["review", str(folder), "--model", str(SHIPPED_ATTENTION), "--limit", "0"]) == 0
    return folder


def _json(capsys, argv) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_review_json_lists_the_likeliest_mistakes_with_reasons_and_the_estimate(reviewed, capsys):
    report = _json(capsys, ["review", str(reviewed), "--limit", "15", "--json"])
    items = report["items"]
    assert len(items) == 15 and report["queued_seconds"] >= 15
    assert [i["doubt"] for i in items] == sorted((i["doubt"] for i in items), reverse=True)
    for item in items:
        assert item["reason"].endswith(f"confidence {item['confidence']:.2f}")
        assert 0.0 <= item["confidence"] <= 1.0
    estimate = report["estimated_accuracy"]
    assert estimate["seconds"] == report["queued_seconds"] == report["total_seconds"]
    assert estimate["low"] <= estimate["accuracy"] <= estimate["high"]
    assert report["reviewed_seconds"] == 0 and report["unannotated"] == []

    capsys.readouterr()
    assert main(["review", str(reviewed), "--limit", "3"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("video\tsecond") and len(text) == 1 + 3 + 2
    assert text[-1].startswith("estimated accuracy of the")


def test_the_estimate_widens_by_the_level_uncertainty_the_bundle_records(
    reviewed, capsys, tmp_path
):
    plain = _json(capsys, ["review", str(reviewed), "--json"])["estimated_accuracy"]
    # The same bundle (same tag: nothing is annotated again), its card saying its confidence
    # was fitted on few videos.
    loose = shutil.copytree(SHIPPED_ATTENTION, tmp_path / "attention")
    card = json.loads((loose / "card.json").read_text())
    card["calibration"]["level_uncertainty"] = {"videos": 10, "sd": 0.1}
    (loose / "card.json").write_text(json.dumps(card))
    widened = _json(capsys, ["review", str(reviewed), "--model", str(loose), "--json"])
    estimate = widened["estimated_accuracy"]
    assert estimate["accuracy"] == pytest.approx(plain["accuracy"])
    assert estimate["accuracy"] - estimate["low"] >= 1.959964 * 0.1 - 1e-9
    assert estimate["low"] < plain["low"]


def test_similar_on_an_event_second_finds_its_own_class(reviewed, capsys):
    truth = pd.read_csv(reviewed / "labels.csv")
    events = truth[truth["label"] != "background"]
    biggest = events[events["label"] == events["label"].value_counts().index[0]]
    longest = biggest[biggest["video"] == biggest["video"].value_counts().index[0]]
    event = longest.iloc[len(longest) // 2]  # the middle of the commonest class's longest event
    report = _json(
        capsys,
        ["similar", str(reviewed), "--video", event.video, "--second", str(event.second),
         "--top", "5", "--json"],
    )  # fmt: skip
    assert report["streams"] == ["audio", "visual"]
    matches = report["matches"]
    assert len(matches) == 5 and (event.video, event.second) not in [
        (m["video"], m["second"]) for m in matches
    ]
    label_of = {(v, s): x for v, s, x in zip(truth.video, truth.second, truth.label)}
    same = sum(label_of[(m["video"], m["second"])] == event.label for m in matches)
    assert same >= 4, matches
    assert all(m["label"] for m in matches)  # the store's label of each match


def test_review_without_predictions_says_how_to_get_them(demo_dir, tmp_path, capsys):
    folder = _copy(demo_dir, tmp_path / "fresh", names={"clip_0000.mp4"})
    assert main(["review", str(folder)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "no predictions yet" in error[0] and "--model" in error[0]
    assert main(["review", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_similar_in_a_folder_of_one_video_and_odd_files(demo_dir, odd_clips, tmp_path, capsys):
    one = _copy(demo_dir, tmp_path / "one", names={"clip_0001.mp4"})
    report = _json(capsys, ["similar", str(one), "--video", "clip_0001.mp4", "--second", "2",
                            "--top", "3", "--json"])  # fmt: skip
    assert {m["video"] for m in report["matches"]} == {"clip_0001.mp4"}
    assert main(["similar", str(one), "--video", "clip_0001.mp4", "--second", "2"]) == 0
    assert "a folder of one video" in capsys.readouterr().err

    odd = tmp_path / "odd"
    odd.mkdir()
    for path in odd_clips.values():
        shutil.copy2(path, odd / path.name)
    capsys.readouterr()
    sound_only = ["similar", str(odd), "--video", "sound only.m4a", "--second", "1"]
    assert main([*sound_only, "--stream", "visual"]) == 2
    err = capsys.readouterr().err
    assert "sound only.m4a, second 1: no picture stream there to compare" in err
    assert "not searched: x.mp4" in err  # the text file named .mp4, named and skipped
    assert main([*sound_only, "--json"]) == 0
    captured = capsys.readouterr()
    assert "compared by sound alone" in captured.err
    assert json.loads(captured.out)["streams"] == ["audio"]
    assert main(["similar", str(odd), "--video", "seven_four.mp4", "--second", "9"]) == 2
    assert "second out of range (0..7)" in capsys.readouterr().err


def test_review_of_a_folder_of_one_video_and_a_model_that_is_not_there(demo_dir, tmp_path, capsys):
    if not (SHIPPED_ATTENTION / "model.keras").exists():
        pytest.skip("the shipped bundles are not built here (scripts/train_shipped_models.sh)")
    one = _copy(demo_dir, tmp_path / "one", names={"clip_0002.mp4"})
    assert main(["review", str(one), "--model", "no-such-bundle"]) == 2
    assert capsys.readouterr().err.count("\n") == 1  # one line, and nothing written
    report = _json(capsys, ["review", str(one), "--model", str(SHIPPED_ATTENTION), "--json"])
    assert {item["video"] for item in report["items"]} == {"clip_0002.mp4"}
    assert report["total_seconds"] == report["queued_seconds"] > 0
    assert main(["review", str(one)]) == 0
    assert "a folder of one video" in capsys.readouterr().err
