"""Decoding reference frames only: every frame handed over is an exact decoded frame of the
video, one per second as before, fewer frames are decoded, and features decoded either way are
never mistaken for each other in the cache. Slow videos decode every frame."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from annotator.core.conventions import (
    frames_decoded_for,
    visual_extraction,
    visual_settings,
)
from annotator.core.decode import frame_decoder_args, iter_frame_seconds
from annotator.core.demo.encode import encode_clip
from annotator.core.feature_cache import FeatureCache
from annotator.core.media import ffmpeg_exe
from annotator.ml.bundle import check_feature_settings, load_bundle
from annotator.ml.extract import video_features


@pytest.fixture(scope="module")
def clip_30fps(tmp_path_factory):
    """4 s of a moving picture at 30 fps, H.264 with x264's default B-frames (non-reference
    frames among them), no audio."""
    rng = np.random.default_rng(7)
    base = rng.integers(0, 255, (90, 160, 3), dtype=np.uint8)
    frames = [np.roll(base, 3 * i, axis=1) for i in range(120)]
    return encode_clip(tmp_path_factory.mktemp("fps30") / "moving.mp4", frames, None, 30, 16000)


def _seconds(path, decoding, size=224):
    return np.stack([f[0] for f in iter_frame_seconds(path, 1, size, frames_decoded=decoding)])


def test_each_second_gets_an_exact_decoded_frame_near_its_sample(clip_30fps):
    every_frame = list(
        np.concatenate(list(iter_frame_seconds(clip_30fps, 30, 64, frames_decoded="all")))
    )
    assert len(every_frame) == 120
    picked_all = _seconds(clip_30fps, "all", 64)
    picked_ref = _seconds(clip_30fps, "reference", 64)
    assert len(picked_ref) == len(picked_all) == 4
    for second, frame in enumerate(picked_ref):
        matches = [i for i, f in enumerate(every_frame) if np.array_equal(f, frame)]
        assert matches, f"second {second}: not a frame of the video"
        chosen = [i for i, f in enumerate(every_frame) if np.array_equal(f, picked_all[second])]
        # The stand-in is the frame picked with full decoding or its neighbour.
        assert min(abs(m - c) for m in matches for c in chosen) <= 1


def test_fewer_frames_are_decoded(clip_30fps):
    def decoded(decoding):
        report = subprocess.run(
            [
                ffmpeg_exe(),
                "-hide_banner",
                "-nostdin",
                *frame_decoder_args(decoding),
                "-i",
                str(clip_30fps),
                "-map",
                "0:v:0",
                "-f",
                "null",
                "-",
            ],
            capture_output=True,
            text=True,
        ).stderr
        return int(report.rsplit("frame=", 1)[1].split()[0])

    assert decoded("all") == 120
    assert 0 < decoded("reference") < 100


def test_unknown_decoding_is_refused():
    with pytest.raises(ValueError, match="frames_decoded"):
        frame_decoder_args("keyframes")


def test_slow_videos_decode_every_frame():
    assert frames_decoded_for(10) == frames_decoded_for(0) == "all"
    assert frames_decoded_for(23.976) == frames_decoded_for(60) == "reference"


def test_the_cache_keeps_each_decoding_apart(clip_30fps, tmp_path):
    cache = FeatureCache(tmp_path)
    features, _info = video_features(clip_30fps, ("visual",), 1, cache)
    stored = cache.load(clip_30fps, "visual", visual_extraction(1, "reference"))
    assert stored is not None and np.array_equal(stored["visual"], features.visual)
    assert cache.load(clip_30fps, "visual", visual_extraction(1, "all")) is None
    assert cache.load(clip_30fps, "visual", visual_settings(1)) is None  # the old key


def test_cards_with_and_without_the_decoding_load():
    card = load_bundle("visual").card  # shipped before the decoding was recorded
    assert "frames_decoded" not in card["feature_settings"]["visual"]
    check_feature_settings(card, "shipped")
    card["feature_settings"]["visual"]["frames_decoded"] = "reference frames at 20 fps and above"
    check_feature_settings(card, "new")
