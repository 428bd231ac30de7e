"""Batch runs: a per-file time limit, and Ctrl-C stops promptly without writing half a CSV,
keeping the finished videos for the next run."""

import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from annotator.core.feature_cache import FeatureCache
from annotator.core.finished_videos import journal_folder
from annotator.ml import batch, pipeline
from annotator.ml.bundle import load_bundle

from conftest import PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "resources" / "samples"


def test_a_file_over_its_time_limit_is_reported_and_the_rest_go_on(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline, "TIME_LIMIT_SECONDS", 0.0)
    monkeypatch.setattr(pipeline, "TIME_LIMIT_PER_VIDEO_SECOND", 0.0)
    files = [SAMPLES / "clip_0000.mp4", SAMPLES / "clip_0005.mp4"]
    result = batch.annotate_batch(
        files, load_bundle("attention"), cache=FeatureCache(tmp_path), use_cache=False
    )
    assert not result.cancelled and not result.annotations
    assert [reason for _path, reason in result.failures] == [
        "gave up after 0 s (the per-file time limit)"
    ] * 2


@pytest.mark.slow  # two fresh processes: about 10 s on a quiet machine
def test_ctrl_c_stops_the_batch_keeps_the_finished_videos_and_a_rerun_does_the_rest(tmp_path):
    folder = tmp_path / "clips"
    shutil.copytree(SAMPLES, folder)
    # Four copies of the samples: once the first video's progress line is read, enough work is
    # left that the interrupt lands mid-batch even when this machine is busy.
    for copy in (1, 2, 3):
        for clip in SAMPLES.glob("*.mp4"):
            shutil.copy(clip, folder / f"copy{copy}_{clip.name}")
    out = tmp_path / "rows.csv"
    out.write_text("previous export\n")
    process = subprocess.Popen(
        [sys.executable, "main.py", "annotate", str(folder), "--no-cache", "--out", str(out)],
        cwd=PROJECT_ROOT,
        stderr=subprocess.PIPE,
        text=True,
        # Started as a script's background job would be, with SIGINT ignored: the command
        # must still stop on Ctrl-C (it installs its own handler).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    for line in process.stderr:
        if "annotate [" in line:
            break
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130
    assert time.monotonic() - started < 30
    assert "interrupted" in rest and "Traceback" not in rest
    assert out.read_text() == "previous export\n"
    # The videos finished before the interrupt are kept beside the CSV ...
    kept = len(list(journal_folder(out).glob("*.csv")))
    videos = len(list(folder.glob("*.mp4")))
    assert 1 <= kept < videos
    assert f"{kept} finished video(s) kept in {journal_folder(out)}" in rest
    # ... and the same command again labels only the rest, every row once.
    again = subprocess.run(
        [sys.executable, "main.py", "annotate", str(folder), "--no-cache", "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"resumed: {kept} video(s) finished by an interrupted run were kept; " in again.stdout
    assert f"the model ran on {videos - kept}" in again.stdout
    table = pd.read_csv(out)
    assert table["video"].nunique() == videos and not table.duplicated(["video", "second"]).any()
    assert not journal_folder(out).exists()
