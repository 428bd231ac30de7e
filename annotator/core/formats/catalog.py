"""Which of the project's videos a label file means, as people name their media.

A reference is tried, in order, as a path (relative to the label file's folder, or absolute), as a
file name, as a stem whatever its extension (ELAN and DCASE files name the recorded `.wav`, the
project holds `.mp4`), and last, for a file about one video, by the label file's own name
(`clip.txt` or `clip.audacity.txt` labels `clip.mp4`). Two videos fitting one step is an error
naming them; every match says which step found it, so the import plan can show it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from .base import LabelFileError

# Label Studio stores an uploaded file as "<8 hex digits>-<original name>".
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")
BY_PATH, BY_NAME, BY_STEM, BY_LABEL_FILE, BY_CHOICE = (
    "path",
    "file name",
    "stem",
    "label file's name",
    "--video",
)


class AmbiguousVideoError(LabelFileError):
    """Two or more of the project's videos fit a reference equally well."""


class VideoCatalog:
    """The project's videos (name -> media file) and their durations, for matching references.

    Durations the store does not know yet are measured with `probe` (core.media.probe by
    default) and kept in `measured`, so an import can record them.
    """

    def __init__(
        self,
        videos: Mapping[str, Path],
        durations: Mapping[str, float | None] | None = None,
        probe: Callable | None = None,
        folder=None,
    ):
        self.paths = {name: Path(path) for name, path in videos.items()}
        self._durations = {k: v for k, v in (durations or {}).items() if v}
        self._probe = probe
        self.folder = folder
        self.measured: dict[str, float] = {}
        self._by_path = {str(p.resolve()): name for name, p in self.paths.items()}
        self._by_file_name: dict[str, list[str]] = {}
        self._by_stem: dict[str, list[str]] = {}
        for name, path in self.paths.items():
            self._by_file_name.setdefault(path.name, []).append(name)
            self._by_stem.setdefault(path.stem, []).append(name)

    def _where_folder(self) -> str:
        return f" (not a video of {self.folder})" if self.folder else " (not a known video)"

    def named(self, name: str, file: Path) -> str:
        """The video the user chose (--video): a project name, file name or stem."""
        if name in self.paths:
            return name
        for table, key in ((self._by_file_name, Path(name).name), (self._by_stem, Path(name).stem)):
            found = _one(table.get(key, []), file, f"--video {name!r}")
            if found:
                return found
        raise LabelFileError(f"{file}: --video {name!r}: no such video{self._where_folder()}")

    def match(self, reference: str, file: Path, where: str, one_video: bool = False):
        """(project name, how it was matched) of the video a file refers to; LabelFileError if
        none fits or several fit equally. `one_video`: the file is about one video, so its own
        name may name it too."""
        if not reference:
            return self._match_label_file(file, where, reference), BY_LABEL_FILE
        text = reference.strip()
        if text.lower().startswith("file:"):
            text = url2pathname(unquote(urlparse(text).path))
        elif "://" in text:  # a web address: its path's last part names the file
            text = unquote(urlparse(text).path) or text
        if "\\" in text and "/" not in text:
            text = text.replace("\\", "/")  # a Windows path
        found = self._match_path(text, file)
        if found:
            return found, BY_PATH
        file_name = Path(text).name
        names = list(
            dict.fromkeys((file_name, unquote(file_name), _UPLOAD_PREFIX.sub("", file_name)))
        )
        for how, table, keys in (
            (BY_NAME, self._by_file_name, names),
            (BY_STEM, self._by_stem, [Path(n).stem for n in names]),
        ):
            for key in dict.fromkeys(keys):
                found = _one(table.get(key, []), file, f"{where}: video {reference!r}")
                if found:
                    return found, how
        if one_video:
            try:
                return self._match_label_file(file, where, reference), BY_LABEL_FILE
            except AmbiguousVideoError:
                raise
            except LabelFileError:
                pass
        raise LabelFileError(f"{file}: {where}: unknown video {reference!r}{self._where_folder()}")

    def _match_path(self, text: str, file: Path) -> str | None:
        for spelling in dict.fromkeys((text, unquote(text))):
            candidate = (
                Path(spelling) if Path(spelling).is_absolute() else Path(file).parent / spelling
            )
            try:
                found = self._by_path.get(str(candidate.resolve()))
            except (OSError, ValueError, RuntimeError):  # not a path at all (a NUL, a loop)
                found = None
            if found:
                return found
        return None

    def match_any(self, references: list[str], file: Path, where: str, one_video: bool = False):
        """The first of several references (say a relative and an absolute URL) that matches."""
        first_error = None
        for index, reference in enumerate(references):
            last = index == len(references) - 1
            try:
                return self.match(reference, file, where, one_video and last)
            except AmbiguousVideoError:
                raise  # ambiguity is an answer, not a miss
            except LabelFileError as exc:
                first_error = first_error or exc
        raise first_error

    def _match_label_file(self, file: Path, where: str, reference: str) -> str:
        file = Path(file)
        for stem in dict.fromkeys((file.stem, Path(file.stem).stem)):
            found = _one(
                self._by_file_name.get(stem, []) or self._by_stem.get(stem, []),
                file,
                "the label file's name",
            )
            if found:
                return found
        named = f"video {reference!r} is not in the folder and " if reference else ""
        raise LabelFileError(
            f"{file}: {where or 'file name'}: {named}no video named like "
            f"{file.stem!r}{self._where_folder()}; name the file after its video or give --video"
        )

    def duration(self, name: str, file: Path, where: str) -> float:
        if name in self._durations:
            return float(self._durations[name])
        if self._probe is None:
            from ..media import probe as probe_media

            self._probe = probe_media
        try:
            seconds = float(self._probe(self.paths[name]).duration)
        except Exception as exc:  # MediaError and friends: the label file cannot be placed
            raise LabelFileError(
                f"{file}: {where}: video {name} cannot be read to learn its duration ({exc})"
            ) from exc
        self._durations[name] = self.measured[name] = seconds
        return seconds


def _one(names: list[str], file: Path, what: str) -> str | None:
    """The one name in `names`; None if there is none; LabelFileError naming them if several."""
    if len(names) > 1:
        raise AmbiguousVideoError(
            f"{file}: {what} matches {len(names)} videos ({', '.join(sorted(names))}); "
            "write its path instead, or give --video"
        )
    return names[0] if names else None
