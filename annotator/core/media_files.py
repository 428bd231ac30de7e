"""Which files in a folder are media: the extensions the app lists and `annotate` takes.

One job: turn the paths a user gave (files, folders, optionally walked recursively) into the
media files to label, the inputs that do not exist, and the files skipped as not media.
"""

from __future__ import annotations

import os
from pathlib import Path

from .paths import path_relative_to_folder

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
    the files, a folder's own before its sub-folders' (as os.walk). Read from the directory
    listing itself (os.scandir), so 2,000 files cost a listing per folder, not system calls
    per file."""
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    folders = []
    for entry in entries:
        is_folder = entry.is_dir()
        if not recursive or not is_folder:
            yield Path(entry.path), is_folder, entry.is_symlink()
        # Hidden folders are not walked: the app's own (.av-annotator, a batch's journal
        # .out.csv.videos) and other tools' caches and trash; nor is a linked folder, so a
        # symlink loop cannot trap the walk.
        elif not entry.name.startswith(".") and not entry.is_symlink():
            folders.append(Path(entry.path))
    for sub in folders:
        yield from folder_entries(sub, recursive)


def collect_videos(paths, recursive: bool = False):
    """(media files in the given order, [(path, reason)] for inputs that do not exist, skipped)."""
    files, problems, skipped = [], [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            videos, others = videos_below(path, recursive)
            files.extend(videos.values())
            skipped.extend(others)
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            problems.append((str(path), "no such file or folder"))
    return files, problems, skipped


def videos_below(folder: Path, recursive: bool) -> tuple[dict[str, Path], list[str]]:
    """{name: path} of the media files below `folder`, in walk order, and the other files
    skipped. The name is the project store's key, the path below the folder with / separators:
    a plain file's is its path as the walk found it; only a symbolic link needs the full rule,
    which resolves it (system calls per folder level: seconds for 2,000 files on a busy disk).
    Hidden files are left out: they include other tools' half-written temporaries
    (.name.part.mp4)."""
    names, skipped = {}, []
    for path, is_folder, is_link in folder_entries(folder, recursive):
        if is_folder or path.name.startswith("."):
            continue
        if path.suffix.lower() not in MEDIA_EXTENSIONS:
            skipped.append(str(path))
        elif is_link:
            names[path_relative_to_folder(path, folder)] = path
        else:
            names[path.relative_to(folder).as_posix()] = path
    return names, skipped
