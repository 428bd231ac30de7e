"""Keyframe-aware decoding: the layout is read from the mp4 index as ffmpeg sees it, the
keyframes-only path is taken only where every sampling interval holds a keyframe, each second
then gets the exact keyframe chosen for it, and its features are cached under their own key."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from annotator.core.conventions import visual_extraction
from annotator.core.decode import frame_at, iter_keyframe_seconds
from annotator.core.demo.encode import encode_clip
from annotator.core.feature_cache import FeatureCache
from annotator.core.keyframes import (
    DECODE_ENV,
    KeyframeLayout,
    keyframe_plan,
    plan_from_layout,
    read_keyframe_layout,
    visual_decoding,
)
from annotator.core.media import ffmpeg_exe
from annotator.ml.extract import video_features

FPS = 10
SECONDS = 4


def _moving_frames(seed: int, count: int):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (72, 96, 3), dtype=np.uint8)
    return [np.roll(base, 5 * i, axis=1) for i in range(count)]


def _clip(folder, name: str, gop: list[str], seconds: float = SECONDS):
    frames = _moving_frames(len(name), round(seconds * FPS))
    return encode_clip(folder / name, frames, None, FPS, 16000, extra_args=gop)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict:
    """x264 with a keyframe every second (-g = fps), every two seconds, and its default GOP
    (one keyframe in 4 s); a 3.5 s clip with -g = fps ends on a partial second."""
    folder = tmp_path_factory.mktemp("keyframes")
    return {
        "every_second": _clip(folder, "g10.mp4", ["-g", str(FPS)]),
        "every_two": _clip(folder, "g20.mp4", ["-g", str(2 * FPS), "-sc_threshold", "0"]),
        "default": _clip(folder, "default.mp4", []),
        "partial": _clip(folder, "partial.mp4", ["-g", str(FPS)], 3.5),
    }


def _ffmpeg_keyframe_times(path) -> list[float]:
    """Presentation times of the packets ffmpeg's demuxer flags as keyframes."""
    listing = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy"]
        + ["-f", "framecrc", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    scale = int(next(line for line in listing if line.startswith("#tb 0:")).split("/")[-1])
    # framecrc writes "F=0x.." only for packets whose flags are not exactly "keyframe".
    keys = [line.split(",") for line in listing if not line.startswith("#") and "F=" not in line]
    return sorted(int(row[2]) / scale for row in keys)


@pytest.mark.parametrize("name", ["every_second", "every_two", "default", "partial"])
def test_the_layout_is_the_one_ffmpeg_demuxes(clips, name):
    layout = read_keyframe_layout(clips[name])
    assert layout is not None
    np.testing.assert_allclose(layout.times, _ffmpeg_keyframe_times(clips[name]), atol=1e-6)
    assert layout.last_frame == pytest.approx(SECONDS - 1 / FPS, abs=0.51)


def test_x264_g_equal_to_fps_puts_a_keyframe_in_every_second(clips):
    times = read_keyframe_layout(clips["every_second"]).times
    assert all(((times >= s) & (times < s + 1)).any() for s in range(SECONDS))
    assert len(read_keyframe_layout(clips["default"]).times) < SECONDS


def test_the_keyframe_path_is_chosen_only_where_every_interval_holds_a_keyframe(clips):
    assert keyframe_plan(clips["every_second"], SECONDS, 1) is not None
    assert keyframe_plan(clips["partial"], 4, 1) is not None
    assert keyframe_plan(clips["every_two"], SECONDS, 1) is None
    assert keyframe_plan(clips["default"], SECONDS, 1) is None
    # Two samples a second need a keyframe in each half second: not there with -g = fps.
    assert keyframe_plan(clips["every_second"], SECONDS, 2) is None


def test_the_plan_takes_the_keyframe_nearest_the_middle_of_each_interval():
    layout = KeyframeLayout(np.array([0.0, 0.2, 0.9, 1.3, 1.7, 2.95]), last_frame=2.99)
    plan = plan_from_layout(layout, 3, 1)
    assert plan.chosen == ((1,), (3,), (5,))  # 0.2 of [0, 1); 1.3 before 1.7 (a tie: earlier)
    assert plan.max_offset == pytest.approx(0.45)
    assert plan_from_layout(KeyframeLayout(np.array([0.0, 2.1]), 2.9), 3, 1) is None
    # A last second past the track's last frame needs none (the other path repeats it too).
    assert plan_from_layout(KeyframeLayout(np.array([0.0, 1.0]), 1.9), 3, 1).chosen[-1] == ()


def test_a_file_the_reader_does_not_follow_takes_the_full_path(clips, tmp_path):
    mkv = tmp_path / "same.mkv"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(clips["every_second"]), "-c", "copy", str(mkv)],
        check=True,
    )
    assert read_keyframe_layout(mkv) is None
    fragmented = tmp_path / "fragmented.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(clips["every_second"]), "-c", "copy"]
        + ["-movflags", "frag_keyframe+empty_moov", str(fragmented)],
        check=True,
    )
    assert read_keyframe_layout(fragmented) is None
    not_a_video = tmp_path / "fake.mp4"
    not_a_video.write_bytes(b"\x00\x00\x00\x10moovgarbage!" + bytes(100))
    assert read_keyframe_layout(not_a_video) is None
    assert visual_decoding(mkv, SECONDS, 1, FPS) == ("all", None)


def test_each_second_gets_the_exact_keyframe_chosen_for_it(clips):
    path = clips["partial"]
    plan = keyframe_plan(path, 4, 1)
    seconds = list(iter_keyframe_seconds(path, plan))
    assert len(seconds) == 4
    for second, frames in enumerate(seconds):
        (index,) = plan.chosen[second]
        time = float(plan.layout.times[index])
        assert second <= time < second + 1
        expected = frame_at(path, time, 224, 224)
        np.testing.assert_array_equal(frames[0], expected)


def test_the_path_taken_keys_the_cache_and_is_recorded(clips, tmp_path, monkeypatch):
    cache = FeatureCache(tmp_path / "cache")
    path = clips["every_second"]
    features, _info = video_features(path, ("visual",), 1, cache)
    assert features.visual_decoding == "keyframes"
    assert cache.load(path, "visual", visual_extraction(1, "keyframes")) is not None
    assert cache.load(path, "visual", visual_extraction(1, "all")) is None
    monkeypatch.setenv(DECODE_ENV, "full")
    full, _info = video_features(path, ("visual",), 1, cache)
    assert full.visual_decoding == "all"  # 10 fps: every frame is decoded on the full path
    assert cache.load(path, "visual", visual_extraction(1, "all")) is not None
    assert features.visual_present.all() and full.visual_present.all()


def test_a_long_video_decoded_in_chunks_gets_the_same_keyframes(clips, tmp_path, monkeypatch):
    from annotator.ml import feature_chunks

    path = clips["every_second"]
    plan = keyframe_plan(path, SECONDS, 1)
    whole = list(iter_keyframe_seconds(path, plan))
    for spans in ([(0.0, 2.0), (2.0, None)], [(0.0, 1.0), (1.0, 2.0), (3.0, None)]):
        parts = [
            frames for span in spans for frames in iter_keyframe_seconds(path, plan, span=span)
        ]
        assert len(parts) == len(whole) == SECONDS
        for got, expected in zip(parts, whole):
            np.testing.assert_array_equal(got, expected)
    in_one, _info = video_features(path, ("visual",), 1, FeatureCache(tmp_path / "one"))
    monkeypatch.setattr(feature_chunks, "CHUNK_SECONDS", 2)
    chunked, _info = video_features(path, ("visual",), 1, FeatureCache(tmp_path / "chunks"))
    assert chunked.visual_decoding == in_one.visual_decoding == "keyframes"
    np.testing.assert_allclose(chunked.visual, in_one.visual, atol=1e-5)


def test_a_decoder_that_disagrees_with_the_index_sends_the_video_to_the_full_path(
    clips, tmp_path, monkeypatch
):
    from annotator.core.decode import KeyframesMismatch
    from annotator.ml import extract

    path = clips["every_second"]
    listed = keyframe_plan(path, SECONDS, 1).layout
    # An index listing one keyframe more than the file holds (as a damaged index would).
    wrong = plan_from_layout(
        KeyframeLayout(np.append(listed.times, 3.95), listed.last_frame), SECONDS, 1
    )
    with pytest.raises(KeyframesMismatch):
        list(iter_keyframe_seconds(path, wrong))
    monkeypatch.setattr(extract, "visual_decoding", lambda *_args: ("keyframes", wrong))
    features, _info = video_features(path, ("visual",), 1, FeatureCache(tmp_path / "cache"))
    assert features.visual_decoding == "all" and features.visual_present.all()
