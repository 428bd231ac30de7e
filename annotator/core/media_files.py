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


def folder_entries(folder: Path, recursive: bool):
    """(path, is a folder, is a symbolic link) of each entry, sorted by name; recursively only
    the files. Read from the directory listing itself (os.scandir), so a library of 2,000
    files costs a listing per folder, not system calls per file."""
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        is_folder = entry.is_dir()
        if not recursive:
            yield Path(entry.path), is_folder, entry.is_symlink()
        elif not is_folder:
            yield Path(entry.path), False, entry.is_symlink()
        # Hidden folders are not walked: the app's own (.av-annotator, a batch's journal
        # .out.csv.videos) and other tools' caches and trash; nor is a linked folder, so a
        # symlink loop cannot trap the walk.
        elif not entry.name.startswith(".") and not entry.is_symlink():
            yield from folder_entries(Path(entry.path), recursive)


def collect_videos(paths, recursive: bool = False):
    """(media files in the given order, [(path, reason)] for inputs that do not exist, skipped)."""
    files, problems, skipped = [], [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child, is_folder, _link in folder_entries(path, recursive):
                # Hidden files include half-written temporaries of other tools (.name.part.mp4).
                if is_folder or child.name.startswith("."):
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
