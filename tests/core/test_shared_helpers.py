"""The helpers every writer shares: atomic writes, relative video paths, the main label."""

from __future__ import annotations

import os

import numpy as np
import pytest

from annotator.core.atomic import atomic_write
from annotator.core.feature_cache import FeatureCache
from annotator.core.paths import path_relative_to_folder, video_path_relative_to
from annotator.core.table import main_label


def test_an_interrupted_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "labels.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("half of the new")
            raise RuntimeError("disk pulled")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["labels.csv"]


def test_a_written_file_gets_the_usual_permissions_not_private_ones(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "new" / "a.csv") as handle:
            handle.write("a\r\nb\n")
    finally:
        os.umask(umask)
    path = tmp_path / "new" / "a.csv"
    assert path.read_bytes() == b"a\r\nb\n"  # newlines written as given
    assert path.stat().st_mode & 0o777 == 0o644


def test_feature_cache_entries_are_written_whole(tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not decoded here")
    cache = FeatureCache(tmp_path / "cache")
    arrays = {"log_mel": np.arange(12, dtype=np.float32).reshape(3, 4)}
    cache.save(video, "audio", {"rate": 16000}, arrays)
    loaded = cache.load(video, "audio", {"rate": 16000})
    np.testing.assert_array_equal(loaded["log_mel"], arrays["log_mel"])
    entries = [p for p in (tmp_path / "cache").glob("*/*") if p.is_file()]  # not the ledger
    assert [p.suffix for p in entries] == [".npz"]


def test_videos_are_named_relative_to_the_written_files_folder(tmp_path):
    csv = tmp_path / "exports" / "annotations.csv"
    assert video_path_relative_to(tmp_path / "videos" / "a b.mp4", csv) == "../videos/a b.mp4"
    assert video_path_relative_to(tmp_path / "exports" / "x.mp4", csv) == "x.mp4"
    assert path_relative_to_folder(tmp_path / "sub" / "a.mp4", tmp_path) == "sub/a.mp4"


def test_the_main_label_is_the_commonest_event_else_background_else_nothing():
    assert main_label(["background", "bark", "bell", "bell", "background"]) == "bell"
    assert main_label(["background", "background"]) == "background"
    assert main_label([]) == ""
