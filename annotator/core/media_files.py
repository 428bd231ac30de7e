"""Which files in a folder are media: the extensions the app lists and `annotate` takes.

One job: turn the paths a user gave (files, folders, optionally walked recursively) into the
media files to label, the inputs that do not exist, and the files skipped as not media.
"""

from __future__ import annotations

import os
from pathlib import Path

MEDIA_EXTENSIONS = {
    ".mp4",
    ".m4v",
    ".mkv",
    ".webm",
    ".avi",
    ".mov",
    ".mpg",
    ".mpeg",
    ".ts",
    ".mts",
    ".wmv",
    ".flv",
    ".3gp",
    ".ogv",
    ".m4a",
    ".wav",
    ".mp3",
    ".aac",
    ".ogg",
    ".opus",
    ".flac",
}


def _walk(folder: Path, recursive: bool):
    if not recursive:
        yield from sorted(p for p in folder.iterdir())
        return
    # followlinks=False: a symlink loop inside the folder cannot trap the walk.
    for root, dirs, files in os.walk(folder, followlinks=False):
        # Hidden folders are not walked: the app's own (.av-annotator, a batch's journal
        # .out.csv.videos) and other tools' caches and trash.
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            yield Path(root) / name


def collect_videos(paths, recursive: bool = False):
    """(media files in the given order, [(path, reason)] for inputs that do not exist, skipped)."""
    files, problems, skipped = [], [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in _walk(path, recursive):
                # Hidden files include half-written temporaries of other tools (.name.part.mp4).
                if child.is_dir() or child.name.startswith("."):
                    continue
                if child.suffix.lower() in MEDIA_EXTENSIONS:
                    files.append(child)
                else:
                    skipped.append(str(child))
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            problems.append((str(path), "no such file or folder"))
    return files, problems, skipped
