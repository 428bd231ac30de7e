"""How video paths are written into label files."""

from __future__ import annotations

import os
from pathlib import Path


def video_path_relative_to(path, written_file) -> str:
    """`path` relative to the folder of `written_file`, with / separators, so the written file
    and its videos can move together; the absolute path when no relative one exists (another
    drive on Windows)."""
    video = Path(path).resolve()
    try:
        return Path(os.path.relpath(video, Path(written_file).resolve().parent)).as_posix()
    except ValueError:
        return video.as_posix()
