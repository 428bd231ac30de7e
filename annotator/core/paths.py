"""How a written file names a video: by its path relative to the file's folder.

A CSV that names its videos relative to its own folder stays a training SPEC wherever the folder
is moved or copied; the project store keys videos the same way, relative to the video folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def path_relative_to_folder(path, folder) -> str:
    """`path` relative to `folder`, with / separators (absolute when on another drive)."""
    path = Path(path).resolve()
    try:
        return Path(os.path.relpath(path, Path(folder).resolve())).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return path.as_posix()


def video_path_relative_to(path, written_file) -> str:
    """The name a file written at `written_file` (a CSV) gives the video at `path`."""
    return path_relative_to_folder(path, Path(written_file).resolve().parent)
