"""`annotate --engine ray` on a local 2-CPU Ray cluster writes the local engine's CSV, byte for
byte, lists failed inputs as the local engine does, joins a running cluster with `--address`,
and finishes a batch complete and without duplicates when Ray workers are killed under it.

One cluster serves the module (it is started the way `annotate` starts one). Ray is the
`cluster` extra of pyproject.toml, which `make test` installs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from annotator.cli import main
from annotator.core.csv_io import write_per_second_csv
from annotator.core.demo.encode import encode_clip, frame_count, sample_count
from annotator.core.feature_cache import FeatureCache
from annotator.core.finished_videos import FinishedVideos, journal_folder
from annotator.ml.batch import annotate_batch
from annotator.ml.bundle import load_bundle

from conftest import PROJECT_ROOT

# Ray is the `cluster` extra: without it these tests skip with the reason, never error.
pytest.importorskip(
    "ray", reason="the cluster engine's tests need Ray: pip install -e '.[cluster]'"
)
pytestmark = pytest.mark.cluster

SAMPLES = PROJECT_ROOT / "resources" / "samples"


def short_clips(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """Short real clips (H.264 + AAC): 1.3-3.6 s, 10 or 30 fps, a moving gradient and a tone;
    every fifth one without sound."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ramp = np.linspace(0, 255, 96, dtype=np.float32)
    clips = []
    for index in range(count):
        seconds = round(float(rng.uniform(1.3, 3.6)), 1)
        fps = 30 if index % 2 else 10
        colour = rng.uniform(0.3, 1.0, 3)
        frames = [
            np.clip(np.roll(ramp, 4 * i)[None, :, None] * colour, 0, 255)
            .astype(np.uint8)
            .repeat(64, axis=0)
            for i in range(frame_count(seconds, fps))
        ]
        t = np.arange(sample_count(seconds, 16000)) / 16000
        tone = (0.3 * np.sin(2 * np.pi * rng.uniform(200, 900) * t)).astype(np.float32)
        audio = None if index % 5 == 4 else tone
        clips.append(encode_clip(folder / f"short_{index:03d}.mp4", frames, audio, fps, 16000))
    return clips


@pytest.fixture(scope="module")
def cluster():
    """A local 2-CPU cluster started as `annotate --engine ray` starts one; its GCS address."""
    from annotator.ml.engines.ray_engine import connect

    assert connect(cpus=2)
    import ray

    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory) -> Path:
    """The samples, 16 short clips, a text file named .mp4 and an empty file."""
    folder = tmp_path_factory.mktemp("mixed")
    for clip in sorted(SAMPLES.glob("*.mp4")):
        shutil.copy(clip, folder / clip.name)
    short_clips(folder, 16)
    (folder / "letter.mp4").write_text("not a video\n")
    (folder / "empty.mp4").write_bytes(b"")
    return folder


def _failure_lines(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if "input(s) failed" in line)
    return lines[start:]


def test_ray_writes_the_local_csv_and_lists_the_same_failures(
    cluster, mixed_folder, tmp_path, capsys
):
    local, ray_csv = tmp_path / "local.csv", tmp_path / "ray.csv"
    assert main(["annotate", str(mixed_folder), "--out", str(local)]) == 1
    printed = capsys.readouterr()
    local_failures, local_summary = _failure_lines(printed.err), printed.out.splitlines()
    assert main(["annotate", str(mixed_folder), "--engine", "ray", "--out", str(ray_csv)]) == 1
    printed = capsys.readouterr()
    ray_failures, ray_summary = _failure_lines(printed.err), printed.out.splitlines()
    assert ray_csv.read_bytes() == local.read_bytes()
    # The same closing report, familiarity included (the records carry it from the workers).
    assert ray_summary[1:] == local_summary[1:]  # the first line names the CSV
    assert ray_summary[-1].startswith("familiarity: ") and "not scored" not in ray_summary[-1]
    assert ray_failures == local_failures and len(ray_failures) == 3  # header + 2 bad files
    assert not journal_folder(ray_csv).exists()  # the finished videos are in the CSV
    table = pd.read_csv(ray_csv)
    assert table["video"].nunique() == 6 + 16


def test_address_joins_a_running_cluster(cluster, tmp_path):
    """A second driver (a fresh `python main.py annotate`) joins the module's cluster."""
    local, ray_csv = tmp_path / "local.csv", tmp_path / "ray.csv"
    assert main(["annotate", str(SAMPLES), "--out", str(local)]) == 0
    # Ray's new clusters use token authentication; a driver given an address must opt in.
    env = {**os.environ, "RAY_AUTH_MODE": "token", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "main.py",
            "annotate",
            str(SAMPLES),
            "--engine",
            "ray",
            "--address",
            cluster,
            "--out",
            str(ray_csv),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert ray_csv.read_bytes() == local.read_bytes()


def test_an_unreachable_address_is_one_line_and_exit_2(tmp_path, capsys):
    assert (
        main(
            [
                "annotate",
                str(SAMPLES),
                "--engine",
                "ray",
                "--address",
                "127.0.0.1:1",
                "--out",
                str(tmp_path / "x.csv"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: cannot join the Ray cluster at 127.0.0.1:1")


def _ray_workers() -> dict[int, str]:
    """This test's Ray worker processes (the cluster is a child of this process) by title."""
    found = {}
    for child in psutil.Process().children(recursive=True):
        try:
            title = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if title.startswith("ray::"):
            found[child.pid] = title
    return found


def _kill_during(batch_done: threading.Event, wanted: tuple[str, ...]) -> list[str]:
    """SIGKILL the first worker whose title starts with each of `wanted`, in turn, while the
    batch runs (never the same process twice); the titles killed."""
    killed, pids = [], set()
    for prefix in wanted:
        while not batch_done.is_set():
            match = next(
                (
                    (pid, t)
                    for pid, t in _ray_workers().items()
                    if t.startswith(prefix) and pid not in pids
                ),
                None,
            )
            if match:
                os.kill(match[0], signal.SIGKILL)
                pids.add(match[0])
                killed.append(match[1].strip())
                break
            time.sleep(0.01)
    return killed


def test_killed_workers_lose_nothing_and_duplicate_nothing(cluster, tmp_path):
    from annotator.ml.engines.ray_engine import annotate_batch_ray

    clips = short_clips(tmp_path / "clips", 14, seed=1)
    bundle = load_bundle("attention")
    out = tmp_path / "rows.csv"
    journal = FinishedVideos(journal_folder(out), bundle.tag)
    outcome, batch_done = {}, threading.Event()

    def run():
        try:
            outcome["result"] = annotate_batch_ray(
                clips, bundle, cache=FeatureCache(tmp_path), use_cache=False, journal=journal
            )
        finally:
            batch_done.set()

    runner = threading.Thread(target=run)
    runner.start()
    # A worker's process mid-video, then (once it is back) a worker's process again.
    busy = "ray::VideoWorker.annotate"
    killed = _kill_during(batch_done, (busy, busy))
    runner.join(timeout=900)
    assert len(killed) == 2, f"the batch ended before both kills: {killed}"
    result = outcome["result"]
    assert result.ok and len(result.annotations) == len(clips)
    table = pd.concat([a.table for a in result.annotations], ignore_index=True)
    assert not table.duplicated(["video", "second"]).any()
    write_per_second_csv(table, out)
    expected = annotate_batch(clips, bundle, cache=FeatureCache(tmp_path))
    write_per_second_csv(
        pd.concat([a.table for a in expected.annotations], ignore_index=True),
        tmp_path / "local.csv",
    )
    assert out.read_bytes() == (tmp_path / "local.csv").read_bytes()
    # Each finished video's rows were written once, under its own key.
    assert len(list(journal.folder.glob("*.csv"))) == len(clips)


def test_a_rerun_takes_the_finished_videos_from_beside_the_csv(cluster, tmp_path):
    """Rows already written for a video (by a run whose driver was killed) are used as they are:
    that video is not labelled again. Rows of another model version are not."""
    from annotator.ml.engines.ray_engine import annotate_batch_ray

    clips = sorted(SAMPLES.glob("*.mp4"))[:3]
    bundle = load_bundle("attention")
    first = annotate_batch(clips, bundle, cache=FeatureCache(tmp_path))
    journal = FinishedVideos(tmp_path / ".rows.csv.videos", bundle.tag)
    finished = first.annotations[1].table.assign(label="marked as finished")
    journal.save(str(clips[1]), clips[1], finished)
    FinishedVideos(journal.folder, "attention@0.9.0").save(
        str(clips[2]), clips[2], first.annotations[2].table.assign(label="an older model")
    )
    result = annotate_batch_ray(clips, bundle, cache=FeatureCache(tmp_path), journal=journal)
    labels = [set(a.table["label"]) for a in result.annotations]
    assert labels[1] == {"marked as finished"}
    assert labels[0] == set(first.annotations[0].table["label"])
    assert labels[2] == set(first.annotations[2].table["label"])


def test_cancel_stops_the_batch_and_keeps_the_finished_videos(cluster, tmp_path):
    """`cancel()` once a video has finished: the batch says it was cancelled, and what finished
    is in the result and the journal, the rest is not."""
    from annotator.ml.engines.ray_engine import annotate_batch_ray

    clips = short_clips(tmp_path / "clips", 12, seed=2)
    bundle = load_bundle("attention")
    journal = FinishedVideos(tmp_path / ".rows.csv.videos", bundle.tag)
    finished = []
    result = annotate_batch_ray(
        clips,
        bundle,
        cache=FeatureCache(tmp_path),
        use_cache=False,
        journal=journal,
        progress=lambda done, total, path: finished.append(path),
        cancel=lambda: bool(finished),
    )
    assert result.cancelled and not result.ok
    assert 1 <= len(result.annotations) < len(clips)
    assert len(list(journal.folder.glob("*.csv"))) == len(result.annotations)
