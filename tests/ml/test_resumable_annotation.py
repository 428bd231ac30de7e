"""Long videos and big batches, at small scale: an interrupted batch keeps its finished videos
and a re-run labels only the rest (every row once); an interrupted long video resumes its
features at the first unfinished chunk, pictures as well as sound, to the same features; and
progress inside a long video is reported while it decodes."""

from __future__ import annotations

import io
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from annotator.cli import main
from annotator.cli.progress import VideoProgress
from annotator.core.csv_io import read_per_second_csv
from annotator.core.errors import Cancelled
from annotator.core.feature_cache import FeatureCache
from annotator.core.finished_videos import FinishedVideos, journal_folder
from annotator.core.media import ffmpeg_exe
from annotator.ml import feature_chunks
from annotator.ml.batch import annotate_batch
from annotator.ml.bundle import default_bundle_name, load_bundle
from annotator.ml.pipeline import prepare_video

from conftest import PROJECT_ROOT

SAMPLES = sorted((PROJECT_ROOT / "resources" / "samples").glob("*.mp4"))
LONG_SECONDS = 50
CHUNK = 20  # the test's chunk length: a 50 s video has three chunks (20, 20, 10)


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    """A synthetic 50 s recording (lavfi test pattern and beeps, 160x90 at 10 fps, AAC)."""
    path = tmp_path_factory.mktemp("long") / "long recording é.mp4"
    command = [ffmpeg_exe(), "-v", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=10:duration={LONG_SECONDS}"]
    command += ["-f", "lavfi", "-i", f"sine=frequency=440:beep_factor=4:duration={LONG_SECONDS}"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-c:a", "aac", "-shortest"]
    subprocess.run([*command, str(path)], check=True)
    return path


@pytest.fixture
def short_chunks(monkeypatch):
    monkeypatch.setattr(feature_chunks, "CHUNK_SECONDS", CHUNK)


def test_an_interrupted_long_video_resumes_at_its_first_unfinished_chunk(
    long_video, short_chunks, tmp_path
):
    bundle = load_bundle("attention")  # reads both streams
    cache = FeatureCache(tmp_path / "cache")

    def stop_after_a_picture_chunk() -> bool:
        return any(cache.root.glob("*/*.visual.npz"))

    with pytest.raises(Cancelled):
        prepare_video(long_video, bundle, cache=cache, cancel=stop_after_a_picture_chunk)
    kept_pictures = len(list(cache.root.glob("*/*.visual.npz")))
    assert 1 <= kept_pictures < 3

    decoded = []  # the cancel check is asked once per second decoded, per stream
    resumed = prepare_video(
        long_video, bundle, cache=cache, cancel=lambda: decoded.append(1) and False
    )
    # Neither stream decoded its finished chunks again.
    assert len(decoded) <= 2 * LONG_SECONDS - kept_pictures * CHUNK
    assert len(list(cache.root.glob("*/*.visual.npz"))) == 3

    fresh = prepare_video(long_video, bundle, cache=None)
    for name in ("log_mel", "audio_present", "visual", "visual_present"):
        np.testing.assert_array_equal(
            getattr(resumed.features, name), getattr(fresh.features, name), err_msg=name
        )
    assert fresh.features.visual_present.all() and fresh.features.audio_present.all()


def test_progress_inside_a_long_video(long_video, short_chunks, tmp_path):
    stream = io.StringIO()
    result = annotate_batch(
        [long_video],
        load_bundle("attention"),
        cache=FeatureCache(tmp_path),
        video_progress=VideoProgress(stream=stream, every=0.2),
    )
    assert result.ok and len(result.videos) == 1
    lines = stream.getvalue().splitlines()
    pattern = re.compile(r"annotate: long recording é\.mp4 (\d+)/50 s of video \((.*)\)")
    matches = [pattern.fullmatch(line) for line in lines]
    assert lines and all(matches), lines
    decoding = [int(m[1]) for m in matches if m[2].startswith("decoding")]
    assert decoding == sorted(decoding) and decoding[0] < 50
    assert any(re.fullmatch(r"decoding, \d+ s/s, \d+ s left", m[2]) for m in matches), lines
    assert all(m[2].startswith(("decoding", "labelling")) for m in matches)


def test_a_cancelled_batch_keeps_its_finished_videos_and_a_rerun_labels_only_the_rest(tmp_path):
    bundle = load_bundle("attention")
    out = tmp_path / "rows.csv"
    journal = FinishedVideos(journal_folder(out), bundle.tag)
    labelled = []

    def stop_after_two() -> bool:
        return len(labelled) >= 2

    first = annotate_batch(
        SAMPLES,
        bundle,
        cache=FeatureCache(tmp_path / "cache"),
        journal=journal,
        keep_annotations=False,
        cancel=stop_after_two,
        on_annotation=lambda path, annotation: labelled.append(path),
    )
    assert first.cancelled and not first.annotations
    assert 2 <= len(first.videos) < len(SAMPLES)
    kept = len(first.videos)

    rerun_journal = FinishedVideos(journal_folder(out), bundle.tag)
    labelled.clear()
    second = annotate_batch(
        SAMPLES,
        bundle,
        cache=FeatureCache(tmp_path / "cache"),
        journal=rerun_journal,
        keep_annotations=False,
        on_annotation=lambda path, annotation: labelled.append(path),
    )
    assert second.ok and second.resumed == kept
    assert labelled == SAMPLES[kept:]  # the model ran only on the unfinished videos
    rows = rerun_journal.write_csv([v.name for v in second.videos], out)
    table = pd.read_csv(out)
    assert len(table) == rows == sum(v.seconds for v in second.videos)
    assert not table.duplicated(["video", "second"]).any()
    assert list(table["video"].unique()) == [str(p) for p in SAMPLES]


def test_annotate_resumes_from_the_journal_and_writes_each_row_once(tmp_path, capsys):
    """The command line's view: rows an interrupted run left are used as they are."""
    out = tmp_path / "rows.csv"
    args = ["annotate", *map(str, SAMPLES[:3]), "--out", str(out)]
    assert main(args) == 0
    complete = out.read_bytes()
    assert not journal_folder(out).exists()
    # What an interrupted run leaves: the first two videos' rows, one of them marked.
    journal = FinishedVideos(journal_folder(out), load_bundle(default_bundle_name()).tag)
    table = read_per_second_csv(out)
    for index in (0, 1):
        rows = table[table["video"] == table["video"].unique()[index]]
        journal.save(rows["video"].iloc[0], SAMPLES[index], rows.assign(label="kept"))
    capsys.readouterr()
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "resumed: 2 video(s) finished by an interrupted run were kept; the model ran on 1" in (
        printed
    )
    again = pd.read_csv(out)
    assert (again.groupby("video", sort=False)["label"].first() == "kept").tolist() == [
        True,
        True,
        False,
    ]
    assert len(again) == len(pd.read_csv(io.BytesIO(complete)))
    assert not journal_folder(out).exists()


def test_the_rate_leaves_out_seconds_found_in_the_cache():
    now = [0.0]
    stream = io.StringIO()
    progress = VideoProgress(stream=stream, every=1.0, clock=lambda: now[0])
    for when, done in ((0.0, 0.0), (0.1, 30.0), (0.2, 60.0), (10.0, 70.0)):
        now[0] = when
        progress("a.mp4", done, 130.0)
    assert stream.getvalue() == "annotate: a.mp4 70/130 s of video (decoding, 1 s/s, 1:00 left)\n"


def test_a_long_video_is_shown_at_once_and_a_short_one_only_if_it_takes_long():
    stream = io.StringIO()
    progress = VideoProgress(stream=stream, every=60.0)
    progress("two hours.mp4", 0.0, 7200.0)
    progress("clip.mp4", 0.0, 10.0)
    progress("clip.mp4", 10.0, 10.0)
    assert stream.getvalue() == "annotate: two hours.mp4 0/7200 s of video (decoding)\n"
