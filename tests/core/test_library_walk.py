"""Listing a library: which files below a folder are videos, and the names the store keys them by."""

from __future__ import annotations

import os

from annotator.core.media_files import collect_videos, videos_below


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_a_library_is_walked_below_its_root_without_the_apps_own_folders(tmp_path):
    root = tmp_path / "library"
    _touch(root / "b.mp4")
    _touch(root / "Année 2024" / "day 01" / "take ✓.MP4")
    _touch(root / "a folder" / "clip.mkv")
    _touch(root / ".av-annotator" / "stray.mp4")  # the app's own folder
    _touch(root / "a folder" / ".clip.part.mp4")  # another tool's half-written file
    _touch(root / "annotations.csv")  # an export
    os.symlink(root / "a folder", root / "z linked folder")  # not walked: no loop, no twice

    names, skipped = videos_below(root, recursive=True)

    # A folder's own files first, then its sub-folders, each in code-point order (as os.walk).
    assert list(names) == ["b.mp4", "Année 2024/day 01/take ✓.MP4", "a folder/clip.mkv"]
    assert names["a folder/clip.mkv"] == root / "a folder" / "clip.mkv"
    assert skipped == [str(root / "annotations.csv")]
    assert list(videos_below(root, recursive=False)[0]) == ["b.mp4"]
    files, problems, _skipped = collect_videos([root, tmp_path / "gone.mp4"], recursive=True)
    assert files == list(names.values()) and problems == [
        (str(tmp_path / "gone.mp4"), "no such file or folder")
    ]


def test_a_linked_video_is_named_as_the_store_always_named_it(tmp_path):
    elsewhere = _touch(tmp_path / "elsewhere" / "real.mp4")
    root = tmp_path / "library"
    root.mkdir()
    os.symlink(elsewhere, root / "link.mp4")

    names, _skipped = videos_below(root, recursive=True)

    assert list(names) == ["../elsewhere/real.mp4"]  # resolved, as relative_video_name does
