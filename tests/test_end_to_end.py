"""The command line end to end on real generated files: demo-data → train → evaluate → annotate."""

import json
import shutil

import pandas as pd
import pytest

from annotator.cli import main
from annotator.core.table import PER_SECOND_COLUMNS, SEGMENT_COLUMNS, count_seconds
from annotator.core.media import probe

# Every test here uses bundles the real `train` command makes (the training tier).
pytestmark = pytest.mark.training


@pytest.fixture(scope="module")
def trained(tmp_path_factory, demo_dir):
    """Tiny audio and attention bundles trained by the real `train` command on demo clips
    (calibrated on their held-out videos: the out-of-fold calibration has its own test)."""
    out = tmp_path_factory.mktemp("models")
    for arch in ("audio", "attention"):
        assert (
            main(
                [
                    "train",
                    "--data",
                    str(demo_dir),
                    "--arch",
                    arch,
                    "--out",
                    str(out / arch),
                    "--epochs",
                    "3",
                    "--seed",
                    "1",
                    "--hidden",
                    "32",
                    "--recurrent",
                    "lstm",
                    "--calibration-folds",
                    "0",
                    # Trained once, not again on every video: these tests read the bundles'
                    # cards and outputs, not their accuracy (training again on every video is
                    # exercised by the calibration and public-API tests).
                    "--refit",
                    "no",
                ]
            )
            == 0
        )
    return out


@pytest.fixture()
def mixed_folder(tmp_path, demo_dir, odd_clips):
    folder = tmp_path / "library"
    (folder / "sub").mkdir(parents=True)
    for clip in sorted(demo_dir.glob("clip_*.mp4"))[:2]:
        shutil.copy(clip, folder / clip.name)
    shutil.copy(odd_clips["seven_four"], folder / "sub" / "seven four.mp4")
    shutil.copy(odd_clips["no_audio"], folder / "no audio.mp4")
    shutil.copy(odd_clips["text"], folder / "x.mp4")
    (folder / "notes.txt").write_text("not media")
    return folder


def test_train_records_knobs_and_time_in_the_card(trained):
    card = json.loads((trained / "attention" / "card.json").read_text())
    assert card["architecture"] == "attention"
    assert card["training"]["hyperparameters"]["recurrent"] == "lstm"
    assert card["training"]["hyperparameters"]["visual_hidden"] == 32
    assert card["training"]["training_seconds"] > 0
    assert card["classes"][-1] == "background"
    assert card["multiply_adds_per_second"] > 0.41e9
    assert 0.0 <= card["metrics"]["per_second_accuracy"] <= 1.0


def test_evaluate_json_reports_every_breakdown(trained, demo_dir, capsys):
    assert (
        main(["evaluate", "--data", str(demo_dir), "--model", str(trained / "attention"), "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["videos"] == 12
    assert set(report["heads"]) == {"audio", "visual"}
    assert {"per_second_accuracy", "event_second_accuracy", "per_class", "dropout_clips"} <= set(
        report
    )


def test_evaluate_reports_intervals_calibration_and_detection_metrics_and_draws_plots(
    trained, demo_dir, tmp_path, capsys
):
    plots = tmp_path / "plots"
    assert (
        main(
            [
                "evaluate",
                "--data",
                str(demo_dir),
                "--model",
                str(trained / "attention"),
                "--json",
                "--plots",
                str(plots),
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    low, high = report["accuracy_intervals_95"]["per_second_accuracy"]
    assert low <= report["per_second_accuracy"] <= high
    ece = report["expected_calibration_error"]
    assert ece["bins"] == 15 and {"event", "audio", "visual", "csv_confidence"} <= set(ece)
    assert all(0 <= ece[k] <= 1 for k in ("event", "audio", "visual"))
    counts = report["confusion_matrix"]["counts"]
    assert sum(map(sum, counts)) == report["seconds"]
    sed = report["sound_event_detection"]
    assert sed["segment_based"]["resolution_seconds"] == 1.0
    assert sed["event_based"]["collar_seconds"] == 0.2
    assert 0 <= sed["segment_based"]["micro"]["f1"] <= 1
    assert report["familiarity"]["seconds_scored"] == report["seconds"]
    pngs = sorted(p.name for p in plots.glob("*.png"))
    assert pngs == ["attention-confusion.png", "attention-reliability.png"]
    assert all((plots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in pngs)


def test_evaluate_record_makes_the_result_the_cards_held_out_metrics(trained, demo_dir, capsys):
    assert (
        main(["evaluate", "--data", str(demo_dir), "--model", str(trained / "audio"), "--record"])
        == 0
    )
    card = json.loads((trained / "audio" / "card.json").read_text())
    assert card["metrics"]["data"] == str(demo_dir) and card["metrics"]["videos"] == 12
    assert "validation" in card["metrics"] or "validation" in card["training"]


def test_annotate_a_messy_folder(trained, mixed_folder, tmp_path, capsys):
    out, segments = tmp_path / "out" / "rows.csv", tmp_path / "out" / "segments.csv"
    status = main(
        [
            "annotate",
            str(mixed_folder),
            "--recursive",
            "--model",
            str(trained / "attention"),
            "--out",
            str(out),
            "--segments",
            str(segments),
        ]
    )
    captured = capsys.readouterr()
    assert status == 1, "a failed input must make the exit status non-zero"
    assert "x.mp4: not a video file" in captured.err
    assert "no audio.mp4: no audio stream; annotated from pictures only" in captured.err
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns) == PER_SECOND_COLUMNS
    assert list(pd.read_csv(segments).columns) == SEGMENT_COLUMNS
    for video, rows in table.groupby("video"):
        duration = probe(out.parent / video).duration
        assert len(rows) == count_seconds(duration)
        assert rows["end"].iloc[-1] == pytest.approx(duration, abs=1e-3)
    seven = table[table["video"].str.endswith("seven four.mp4")]
    assert len(seven) == 8 and seven["end"].iloc[-1] == pytest.approx(7.4)
    silent = table[table["video"].str.endswith("no audio.mp4")]
    assert (silent["audio_label"] == "").all() and (silent["audio_confidence"] == "").all()
    assert (silent["visual_label"] != "").all()
    assert set(table["model"]) == {"attention@1.0.0"} and set(table["source"]) == {"model"}


def test_the_audio_model_refuses_a_silent_video_per_file(trained, mixed_folder, tmp_path, capsys):
    out = tmp_path / "rows.csv"
    status = main(
        [
            "annotate",
            str(mixed_folder / "no audio.mp4"),
            str(mixed_folder / "clip_0000.mp4"),
            "--model",
            str(trained / "audio"),
            "--out",
            str(out),
        ]
    )
    assert status == 1
    assert (
        "no audio.mp4: no audio stream; the audio model cannot annotate it"
        in capsys.readouterr().err
    )
    table = pd.read_csv(out)
    assert set(table["video"]) == {"../library/clip_0000.mp4"} or len(set(table["video"])) == 1


def test_a_second_model_reuses_the_feature_cache(trained, mixed_folder, tmp_path):
    import os
    from pathlib import Path

    cache = Path(os.environ["AV_ANNOTATOR_CACHE"])
    clip = mixed_folder / "clip_0000.mp4"
    main(
        [
            "annotate",
            str(clip),
            "--model",
            str(trained / "attention"),
            "--out",
            str(tmp_path / "a.csv"),
        ]
    )
    entries = sorted(p.name for p in cache.rglob("*.npz"))
    stamps = {p: p.stat().st_mtime_ns for p in cache.rglob("*.npz")}
    main(
        ["annotate", str(clip), "--model", str(trained / "audio"), "--out", str(tmp_path / "b.csv")]
    )
    assert sorted(p.name for p in cache.rglob("*.npz")) == entries
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.npz")} == stamps


def _ave_root_from_demo(demo_dir, root):
    """An AVE root in exactly the published layout, its clips and events taken from demo data."""
    clips = pd.read_csv(demo_dir / "clips.csv")
    (root / "AVE").mkdir(parents=True)
    lines = []
    for index, clip in clips.iterrows():
        video_id = f"DemoId{index:05d}"
        shutil.copy(demo_dir / clip["video"], root / "AVE" / f"{video_id}.mp4")
        lines.append(
            f"{clip['label']}&{video_id}&good&{int(clip['event_start'])}"
            f"&{int(-(-clip['event_end'] // 1))}"
        )
    (root / "Annotations.txt").write_text(
        "Category&VideoID&Quality&StartTime&EndTime\n" + "\n".join(lines) + "\n"
    )
    (root / "trainSet.txt").write_text("\n".join(lines[:8]) + "\n")
    (root / "valSet.txt").write_text("\n".join(lines[8:10]) + "\n")
    (root / "testSet.txt").write_text("\n".join(lines[10:]) + "\n")
    return root


def test_train_and_evaluate_on_an_ave_root(demo_dir, tmp_path, capsys):
    root = _ave_root_from_demo(demo_dir, tmp_path / "AVE_Dataset")
    assert (
        main(
            [
                "train",
                "--data",
                str(root),
                "--arch",
                "visual",
                "--out",
                str(tmp_path / "ave-visual"),
                "--epochs",
                "2",
            ]
        )
        == 0
    )
    card = json.loads((tmp_path / "ave-visual" / "card.json").read_text())
    assert card["training"]["videos"] == 8 and card["training"]["validation_videos"] == 2
    capsys.readouterr()
    assert (
        main(["evaluate", "--data", str(root), "--model", str(tmp_path / "ave-visual"), "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["videos"] == 2, "evaluate uses the AVE test split"
