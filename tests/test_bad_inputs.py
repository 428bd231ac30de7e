"""Issue 5: a folder holding the whole bad-input corpus plus three good clips.

Every file is either annotated correctly (rows = its duration rounded up) or reported with a
reason naming it; no traceback reaches the user; the batch finishes and exits non-zero.
"""

import shutil
import signal
import subprocess
import sys

import pandas as pd
import pytest

from annotator.core.media import probe
from annotator.core.table import count_seconds
from corpus import ANNOTATED, FAILED, build_corpus

from conftest import PROJECT_ROOT

# The whole messy library goes through a real `annotate` (and a kill -9 run): minutes on 2 cores.
pytestmark = pytest.mark.slow

SAMPLES = PROJECT_ROOT / "resources" / "samples"
GOOD = ["clip_0000.mp4", "clip_0002.mp4", "clip_0005.mp4"]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("messy") / "library"
    expected = build_corpus(folder)
    (folder / "good").mkdir()
    for name in GOOD:
        shutil.copy(SAMPLES / name, folder / "good" / name)
    return folder, expected


@pytest.fixture(scope="module")
def batch_run(library, tmp_path_factory):
    folder, _expected = library
    out = tmp_path_factory.mktemp("out") / "rows.csv"
    stderr_log = out.parent / "stderr.txt"
    with open(stderr_log, "w") as handle:
        process = subprocess.run(
            [
                sys.executable,
                "main.py",
                "annotate",
                str(folder),
                "--recursive",
                "--model",
                "attention",
                "--out",
                str(out),
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=handle,
            text=True,
            timeout=900,
        )
    return process.returncode, pd.read_csv(out, keep_default_na=False), stderr_log.read_text()


def test_the_batch_finishes_and_exits_non_zero(batch_run):
    status, _table, stderr = batch_run
    assert status == 1
    assert "Traceback" not in stderr


def test_every_bad_file_is_reported_by_name_with_its_reason(library, batch_run):
    folder, expected = library
    _status, table, stderr = batch_run
    for name, (outcome, detail) in expected.items():
        if outcome == FAILED:
            line = next(
                (l for l in stderr.splitlines() if l.strip().startswith(str(folder / name))), ""
            )
            assert detail in line, f"{name}: expected a failure mentioning {detail!r}, got {line!r}"
            assert not table["video"].str.endswith("/" + name).any()


def test_every_readable_file_gets_one_row_per_second(library, batch_run):
    folder, expected = library
    _status, table, _stderr = batch_run
    for name, (outcome, seconds) in expected.items():
        if outcome != ANNOTATED:
            continue
        rows = table[table["video"].str.endswith("/" + name)]
        duration = probe(folder / name).duration
        assert len(rows) == count_seconds(duration), name
        assert abs(len(rows) - seconds) <= 1, name
        assert rows["second"].tolist() == list(range(len(rows))), name
        assert rows["end"].iloc[-1] == pytest.approx(duration, abs=1e-3), name


def test_streams_a_file_lacks_leave_their_columns_empty(batch_run):
    _status, table, stderr = batch_run
    silent = table[table["video"].str.endswith("/silent film.mp4")]
    assert (silent["audio_label"] == "").all() and (silent["visual_label"] != "").all()
    memo = table[table["video"].str.endswith("/voice memo.m4a")]
    assert (memo["visual_label"] == "").all() and (memo["audio_label"] != "").all()
    assert "voice memo.m4a: no video stream; annotated from sound only" in stderr


def test_the_good_clips_are_annotated_correctly(batch_run):
    _status, table, _stderr = batch_run
    truth = pd.read_csv(SAMPLES / "labels.csv", keep_default_na=False)
    for name in GOOD:
        rows = table[table["video"].str.endswith("/good/" + name)]
        expected = truth[truth["video"] == name]
        assert len(rows) == len(expected)
        agreement = (rows["label"].to_numpy() == expected["label"].to_numpy()).mean()
        assert agreement >= 0.8, f"{name}: only {agreement:.0%} of seconds right"


def test_kill_9_mid_batch_loses_nothing_and_a_rerun_completes(tmp_path):
    folder = tmp_path / "clips"
    shutil.copytree(SAMPLES, folder)
    out = tmp_path / "rows.csv"
    out.write_text("previous export\n")
    command = [
        sys.executable,
        "main.py",
        "annotate",
        str(folder),
        "--model",
        "attention",
        "--out",
        str(out),
        "--no-cache",
    ]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:  # wait until the batch is really under way
        if "annotate [" in line:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert out.read_text() == "previous export\n", "a killed batch must not leave a half file"
    assert (
        subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, timeout=600).returncode == 0
    )
    table = pd.read_csv(out)
    assert not table.duplicated(["video", "second"]).any()
    assert len(table) == len(pd.read_csv(SAMPLES / "labels.csv"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rows.csv")]
