"""The demo data set: real mp4 clips, per-second truth, reproducible from a seed."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from annotator.core.csv_io import read_per_second_csv
from annotator.core.demo.demo_data import (
    CLIP_COLUMNS,
    DEMO_CLASS_FAMILIES,
    DEMO_CLASSES,
    DEMO_FPS,
    DEMO_HEIGHT,
    DEMO_WIDTH,
    SOUND_FAMILIES,
    VISUAL_FAMILIES,
    generate_demo_data,
    plan_clip,
)
from annotator.core.demo.encode import encode_clip, frame_count, sample_count
from annotator.core.errors import Cancelled
from annotator.core.media import ffmpeg_exe
from annotator.core.conventions import BACKGROUND
from annotator.core.table import PER_SECOND_COLUMNS, count_seconds

SEED, CLIPS = 0, 6


def _report(path) -> str:
    """ffmpeg's own description of a media file (there is no ffprobe here)."""
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True
    ).stderr


def _reported_duration(path) -> str:
    return re.search(r"Duration: (\S+),", _report(path)).group(1)


def _decode(path, *args) -> bytes:
    command = [ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), *args, "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout


def _frames(path) -> np.ndarray:
    raw = _decode(path, "-f", "rawvideo", "-pix_fmt", "rgb24")
    return np.frombuffer(raw, np.uint8).reshape(-1, DEMO_HEIGHT, DEMO_WIDTH, 3)


def _changed_share(frame, other) -> float:
    """The share of pixels that differ clearly (by more than 30 levels in some channel)."""
    return float((np.abs(frame - other).max(axis=-1) > 30).mean())


def _decoded_md5(path) -> str:
    """A checksum of the decoded pixels and samples."""
    return _decode(path, "-f", "md5").decode().strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    calls = []
    labels = generate_demo_data(out, clips=CLIPS, seed=SEED, progress=lambda *a: calls.append(a))
    return out, labels, calls


@pytest.fixture(scope="module")
def clips(demo):
    return pd.read_csv(demo[0] / "clips.csv", keep_default_na=False)


def test_classes_are_cells_of_the_family_grid():
    assert len(DEMO_CLASSES) == 8
    assert len(set(DEMO_CLASS_FAMILIES.values())) == 8
    for family in SOUND_FAMILIES:
        assert sum(s == family for s, _ in DEMO_CLASS_FAMILIES.values()) == 2
    for family in VISUAL_FAMILIES:
        assert sum(v == family for _, v in DEMO_CLASS_FAMILIES.values()) == 2


def test_writes_labels_clips_and_one_mp4_per_clip(demo, clips):
    out, labels, calls = demo
    assert labels == out / "labels.csv"
    assert list(clips.columns) == CLIP_COLUMNS
    assert list(clips.video) == [f"clip_{i:04d}.mp4" for i in range(CLIPS)]
    assert calls == [(i, CLIPS) for i in range(1, CLIPS + 1)]
    expected = [*clips.video, "labels.csv", "clips.csv"]
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)  # no temporary files left


def test_clips_are_real_h264_aac_with_exact_durations(demo, clips):
    out = demo[0]
    for row in clips.itertuples():
        report = _report(out / row.video)
        assert "Video: h264" in report and "Audio: aac" in report
        assert _reported_duration(out / row.video) == f"00:00:{row.duration:05.2f}"
        frame = _decode(out / row.video, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24")
        assert len(frame) == DEMO_WIDTH * DEMO_HEIGHT * 3
        audio = np.frombuffer(
            _decode(out / row.video, "-f", "f32le", "-ac", "1", "-ar", "16000"), np.float32
        )
        assert abs(len(audio) - row.duration * 16000) < 0.01 * 16000
        assert np.sqrt(np.mean(audio**2)) > 1e-3


def test_labels_csv_has_one_row_per_second(demo, clips):
    out, labels, _ = demo
    assert labels.read_text().splitlines()[0] == ",".join(PER_SECOND_COLUMNS)
    table = read_per_second_csv(labels)
    assert set(table.source) == {"human"} and set(table.confidence) == {1.0}
    for row in clips.itertuples():
        rows = table[table.video == row.video]
        assert list(rows.second) == list(range(count_seconds(row.duration)))
        assert rows.end.iloc[-1] == pytest.approx(row.duration)


def test_each_clip_is_one_contiguous_event_inside_background(demo, clips):
    table = read_per_second_csv(demo[1])
    for row in clips.itertuples():
        labels = list(table[table.video == row.video].label)
        assert set(labels) - {BACKGROUND} == {row.label}
        assert row.label in DEMO_CLASSES
        event = [s for s, label in enumerate(labels) if label == row.label]
        assert event == list(range(int(row.event_start), int(row.event_start) + len(event)))
        assert len(event) >= 2 and event[-1] + 1 == np.ceil(row.event_end)


def test_plans_follow_the_mix_of_durations_events_and_dropouts():
    plans = [plan_clip(SEED, index) for index in range(2000)]
    for plan in plans:
        seconds = count_seconds(plan.duration)
        assert plan.duration == 10.0 or 4.0 < plan.duration < 10.0
        assert 2 <= plan.event_end - plan.event_start <= seconds
        if plan.dropout_stream:
            assert plan.dropout_stream in ("audio", "visual")
            assert 2 <= plan.dropout_end - plan.dropout_start <= 4
            assert plan.event_start <= plan.dropout_start and plan.dropout_end <= plan.event_end
            both = plan.seconds_on("audio") & plan.seconds_on("visual")
            assert both.sum() >= 2
    whole = [p.event_end - p.event_start == count_seconds(p.duration) for p in plans]
    dropouts = [p.dropout_stream for p in plans if p.dropout_stream]
    assert 0.3 < np.mean(whole) < 0.5
    assert 0.1 < np.mean([p.duration < 10 for p in plans]) < 0.2
    assert 0.2 < len(dropouts) / len(plans) < 0.3
    assert 0.4 < dropouts.count("audio") / len(dropouts) < 0.6


def test_same_seed_gives_the_same_data_and_another_seed_differs(demo, tmp_path):
    out = demo[0]
    again = generate_demo_data(tmp_path / "again", clips=CLIPS, seed=SEED).parent
    for name in ("labels.csv", "clips.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes()
    assert _decoded_md5(again / "clip_0000.mp4") == _decoded_md5(out / "clip_0000.mp4")
    other = generate_demo_data(tmp_path / "other", clips=3, seed=SEED + 1).parent
    assert (other / "clips.csv").read_bytes() != (out / "clips.csv").read_bytes()
    assert _decoded_md5(other / "clip_0000.mp4") != _decoded_md5(out / "clip_0000.mp4")


def test_event_pictures_differ_from_background_pictures(demo, clips):
    out, tested = demo[0], 0
    for row in clips.itertuples():
        plan = plan_clip(SEED, row.Index)
        showing = plan.seconds_on("visual")
        if showing.all() or not showing.any():
            continue
        frames = _frames(out / row.video).astype(int)
        middle = [
            frames[min(s * DEMO_FPS + DEMO_FPS // 2, len(frames) - 1)] for s in range(len(showing))
        ]
        quiet = np.flatnonzero(~showing)
        for second in np.flatnonzero(showing):
            changed = min(_changed_share(middle[second], middle[b]) for b in quiet)
            assert changed > 0.05, (row.video, second)
        for a, b in zip(quiet, quiet[1:]):
            assert _changed_share(middle[a], middle[b]) < 0.02, (row.video, a, b)
        tested += 1
    assert tested, "no clip of this seed mixes event and background pictures"


def test_cancel_stops_before_writing_the_truth(tmp_path):
    done = []
    with pytest.raises(Cancelled):
        generate_demo_data(
            tmp_path,
            clips=20,
            seed=SEED,
            progress=lambda *a: done.append(a),
            cancel=lambda: len(done) >= 1,
        )
    names = [p.name for p in tmp_path.iterdir()]
    assert "labels.csv" not in names and "clips.csv" not in names
    assert len(names) < 20 and all(re.fullmatch(r"clip_\d{4}\.mp4", n) for n in names)


def test_encode_clip_makes_the_duration_exact(tmp_path):
    duration, fps, rate = 7.4, 10, 22050
    frames = (np.full((240, 320, 3), i, np.uint8) for i in range(frame_count(duration, fps)))
    audio = 0.2 * np.sin(np.arange(sample_count(duration, rate)) / 10).astype(np.float32)
    path = encode_clip(tmp_path / "clip.mp4", frames, audio, fps, rate)
    assert _reported_duration(path) == "00:00:07.40"
    audio_only = encode_clip(tmp_path / "sound.m4a", None, audio, fps, rate)
    assert _reported_duration(audio_only) == "00:00:07.40"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "sound.m4a"]


def test_encode_clip_reports_ffmpeg_errors_and_leaves_no_file(tmp_path):
    odd = (np.zeros((241, 321, 3), np.uint8) for _ in range(3))  # H.264 4:2:0 needs even sizes
    with pytest.raises(RuntimeError, match="clip.mp4: ffmpeg failed.*divisible by 2"):
        encode_clip(tmp_path / "clip.mp4", odd, None, 10, 22050)
    assert list(tmp_path.iterdir()) == []
