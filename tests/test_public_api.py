"""The public Python API (`import annotator`) does what the command line does, on real clips."""

import shutil
import subprocess
import sys

import pytest

import annotator
from annotator.cli import main as cli
from annotator.core.csv_io import write_per_second_csv
from conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def samples_and_a_bad_file(tmp_path_factory):
    """The sample clips and a text file named .mp4, in a folder the test may write into."""
    folder = tmp_path_factory.mktemp("library")
    for clip in sorted((PROJECT_ROOT / "resources" / "samples").glob("*.mp4")):
        shutil.copy(clip, folder / clip.name)
    (folder / "broken.mp4").write_text("not a video\n")
    return folder


def test_annotate_folder_gives_the_rows_of_the_cli_csv(samples_and_a_bad_file, tmp_path, capsys):
    folder = samples_and_a_bad_file
    status = cli(
        ["annotate", str(folder), "--out", str(folder / "by-cli.csv"), "--model", "fusion"]
    )
    reported = capsys.readouterr().err
    assert status == 1  # the broken file fails; the six clips are still annotated

    table = annotator.annotate_folder(folder, model="fusion", jobs=1)
    write_per_second_csv(table, folder / "by-api.csv")

    assert (folder / "by-api.csv").read_bytes() == (folder / "by-cli.csv").read_bytes()
    assert table["video"].nunique() == 6 and table.attrs["model"] == "fusion@1.0.0"
    [(path, reason)] = table.attrs["failures"]
    assert path.endswith("broken.mp4") and f"{path}: {reason}" in reported
    assert table.attrs["skipped"] and all(s.endswith(".csv") for s in table.attrs["skipped"])


def test_load_bundle_names_the_default_and_refuses_what_is_not_there():
    default = annotator.load_bundle()
    assert default.tag == annotator.load_bundle(default.name).tag
    assert "background" in default.classes and default.card["architecture"]
    with pytest.raises(annotator.AnnotatorError, match="no-such-bundle"):
        annotator.load_bundle("no-such-bundle")


def test_importing_the_package_loads_neither_pandas_nor_the_model_code():
    """The app's window process imports `annotator`: the API must load on first use only."""
    code = (
        "import sys, annotator; "
        "print(sorted(m for m in ('pandas', 'annotator.api', 'annotator.ml') if m in sys.modules)); "
        "print(callable(annotator.annotate_folder), 'annotator.api' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.splitlines() == ["[]", "True True"], done.stderr
    with pytest.raises(AttributeError, match="no_such_name"):
        annotator.no_such_name  # noqa: B018


@pytest.mark.training
def test_train_then_annotate_and_evaluate_with_the_new_bundle(tmp_path):
    from annotator.core.demo.demo_data import generate_demo_data

    data = tmp_path / "novel"
    generate_demo_data(data, clips=12, seed=1234, class_set="novel")
    epochs_seen = []
    bundle = annotator.train(
        data,
        "attention-light",
        tmp_path / "models" / "mine",
        epochs=2,
        epoch_progress=lambda report: epochs_seen.append(report.epoch),
        calibration_folds=0,  # the out-of-fold calibration has its own test
    )
    assert (tmp_path / "models" / "mine" / "model.keras").is_file()
    assert bundle.architecture == "attention-light" and epochs_seen
    assert "Church bell" in bundle.classes and bundle.card["training"]["seed"] == 0
    assert bundle.card["calibration"]["data"].startswith("validation split")
    assert annotator.load_bundle(tmp_path / "models" / "mine").tag == bundle.tag

    table = annotator.annotate_folder(data, model=bundle)
    assert table.attrs["failures"] == [] and set(table["model"]) == {bundle.tag}
    assert set(table["label"]) <= set(bundle.classes)

    report = annotator.evaluate(data, model=tmp_path / "models" / "mine")
    assert report["videos"] == 12 and 0.0 <= report["per_second_accuracy"] <= 1.0
