"""Training on a user's own labels: only what a person said teaches, and every way the labels
or the run can fall short is one clear sentence with nothing half-written."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from annotator.cli import main
from annotator.core.csv_io import read_per_second_csv, write_per_second_csv
from annotator.core.datasets import load_spec
from annotator.core.demo.demo_data import generate_demo_data
from annotator.core.errors import Cancelled, DataSpecError
from annotator.core.store import ProjectStore
from annotator.ml.bundle import load_bundle
from annotator.ml.evaluation import evaluate
from annotator.ml.training import TrainingError, train
from annotator.ml.training_data import TrainingDataError, label_problems

EPOCHS = 12


@pytest.fixture(scope="module")
def novel(tmp_path_factory):
    """Twelve clips of classes no shipped bundle knows to train on, six others to test on."""
    root = tmp_path_factory.mktemp("novel")
    generate_demo_data(root / "train", clips=12, seed=1234, class_set="novel")
    generate_demo_data(root / "test", clips=6, seed=4321, class_set="novel")
    return root


def _corrupt(labels: pd.DataFrame, classes: list[str]) -> pd.DataFrame:
    """Every third second of each video gets a wrong label from a model (source=model)."""
    table = labels.copy()
    chosen = table["second"] % 3 == 1
    wrong = {name: classes[(i + 1) % len(classes)] for i, name in enumerate(classes)}
    table.loc[chosen, "label"] = table.loc[chosen, "label"].map(wrong)
    table.loc[chosen, "source"] = "model"
    return table


@pytest.mark.training
def test_seconds_from_a_model_are_masked_and_training_matches_the_clean_labels(novel, tmp_path):
    clean = read_per_second_csv(novel / "train" / "labels.csv")
    classes = load_spec(novel / "train").classes
    corrupted = _corrupt(clean, classes)
    write_per_second_csv(corrupted, novel / "train" / "reviewed.csv")
    masked = load_spec(novel / "train" / "reviewed.csv")
    for video in masked.videos:
        rows = corrupted[corrupted["video"] == video.path.name]
        expected = [
            None if source == "model" else label
            for label, source in zip(rows["label"], rows["source"])
        ]
        assert video.labels == expected

    # Twelve clips and six test clips make one run's accuracy move by a clip's worth of seconds
    # with the training seed, so each side is the mean of two seeds.
    results = {}
    for name, spec in (
        ("clean", novel / "train" / "labels.csv"),
        ("masked", novel / "train" / "reviewed.csv"),
    ):
        accuracies = []
        for seed in (0, 1):
            out = tmp_path / f"{name}-{seed}"
            # Accuracy is compared here, not confidence: no calibration folds.
            bundle = train(
                spec,
                "attention-light",
                out,
                epochs=EPOCHS,
                seed=seed,
                refit=False,
                calibration_folds=0,
            )
            assert bundle.card["calibration"]["data"].startswith("validation split")  # no folds
            report = evaluate(novel / "test", load_bundle(bundle.path))
            accuracies.append(report["per_second_accuracy"])
            counts = bundle.card["training"]["labelled_seconds"]
            assert sum(counts.values()) == (
                len(clean) if name == "clean" else int((corrupted["source"] == "human").sum())
            )
        results[name] = sum(accuracies) / len(accuracies)
    assert results["clean"] >= 0.6, results
    assert results["masked"] >= results["clean"] - 0.06, results


def _project(folder, labels: dict) -> ProjectStore:
    store = ProjectStore.for_folder(folder)
    store.add_videos({name: 10.0 for name in ("a.mp4", "b.mp4", "c.mp4")})
    for video, seconds in labels.items():
        store.set_labels(video, seconds, "paint")
    store.close()
    return store


@pytest.mark.parametrize(
    "labels, message",
    [
        (
            {"a.mp4": {0: "background", 1: "background"}, "b.mp4": {0: "background"}},
            "Only one class is labelled \\(background\\)",
        ),
        (
            {
                "a.mp4": {0: "Bell", 1: "Bell", 2: "Bell", 3: "background", 4: "background"},
                "b.mp4": {0: "background", 1: "Frog"},
            },
            "'Frog' has only 1 labelled second: label at least 3",
        ),
        (
            {
                "a.mp4": {
                    0: "Bell",
                    1: "Bell",
                    2: "Bell",
                    3: "background",
                    4: "background",
                    5: "background",
                }
            },
            "Only one video is labelled",
        ),
    ],
)
def test_labels_that_cannot_train_yet_say_what_to_label(tmp_path, labels, message):
    _project(tmp_path, labels)
    with pytest.raises(TrainingDataError, match=message):
        train(tmp_path, "attention-light", tmp_path / "models" / "mine", epochs=1)
    assert not (tmp_path / "models").exists()


def test_no_labels_at_all_is_a_clear_message(tmp_path, capsys):
    _project(tmp_path, {})
    with pytest.raises(DataSpecError, match="holds no labelled videos"):
        load_spec(tmp_path)
    assert (
        main(
            [
                "train",
                "--data",
                str(tmp_path),
                "--arch",
                "attention-light",
                "--out",
                str(tmp_path / "m"),
            ]
        )
        == 2
    )
    assert "holds no labelled videos" in capsys.readouterr().err
    from annotator.core.datasets import LabelledSet

    assert label_problems(LabelledSet("x", []))[0].startswith("No second is labelled yet")


def test_a_bundle_name_that_exists_is_refused_and_left_alone(novel, tmp_path, capsys):
    existing = tmp_path / "mine"
    existing.mkdir()
    (existing / "card.json").write_text(json.dumps({"name": "mine"}))
    with pytest.raises(TrainingError, match="exists already"):
        train(novel / "train", "attention-light", existing, epochs=1)
    assert (
        main(
            [
                "train",
                "--data",
                str(novel / "train"),
                "--arch",
                "attention-light",
                "--out",
                str(existing),
            ]
        )
        == 2
    )
    assert "exists already; choose another name" in capsys.readouterr().err
    assert json.loads((existing / "card.json").read_text()) == {"name": "mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


@pytest.mark.training
def test_cancelled_halfway_leaves_no_bundle(novel, tmp_path):
    reports = []
    with pytest.raises(Cancelled, match="no bundle was written"):
        train(
            novel / "train",
            "attention-light",
            tmp_path / "mine",
            epochs=EPOCHS,
            epoch_progress=reports.append,
            cancel=lambda: len(reports) >= 2,
        )
    assert [r.epoch for r in reports] == [1, 2]
    assert reports[0].val_accuracy is not None and reports[0].seconds_left > 0
    assert list(tmp_path.iterdir()) == []  # no bundle, no hidden half-written one
