"""The rows of each finished video on disk, as soon as it finishes: one per-second CSV per video
and model version, in a folder beside the output CSV, written atomically, with a few lines of
JSON summing it up (main label, warnings, unfamiliar seconds) for the batch's closing report.

Keyed by the video (its name in the CSV, its file's identity: path, size, modification time) and
the model's `name@version`, so a video labelled again (a retried task, a rerun) replaces its own
file and can never appear twice; a batch that was interrupted or whose driver was killed resumes
from the files already there. The output CSV is assembled from these files at the end, streamed
one video at a time (memory does not grow with the number of videos), and the folder is removed
then.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_write
from .csv_io import read_per_second_csv, write_per_second_csv, write_segments_csv
from .errors import DataSpecError
from .conventions import BACKGROUND
from .table import PER_SECOND_COLUMNS, SEGMENT_COLUMNS, main_label, segments_from_table

log = logging.getLogger(__name__)

_SEGMENTS = ".segments"  # beside each video's rows: its merged segments, as CSV


def journal_folder(out_csv) -> Path:
    """Where the finished videos of a batch writing `out_csv` are kept: a hidden folder beside it."""
    out_csv = Path(out_csv)
    return out_csv.parent / f".{out_csv.name}.videos"


@dataclass
class VideoSummary:
    """What a batch keeps of a finished video once its rows are on disk: enough for the closing
    report, a few hundred bytes however long the video."""

    name: str  # the `video` column
    path: str
    seconds: int
    main_label: str
    event_seconds: int
    warnings: list[str] = field(default_factory=list)
    # Seconds unlike the model's training data; None when the bundle scores no familiarity.
    unfamiliar_seconds: int | None = None
    resumed: bool = False  # taken from an earlier, interrupted run's rows
    # How its pictures were decoded: "keyframes", "reference", "all" (docs/decoding.md).
    visual_decoding: str = ""

    @classmethod
    def of(cls, name: str, path, table: pd.DataFrame, warnings=(), familiarity=None, decoding=""):
        labels = table["label"]
        unfamiliar = None if familiarity is None else int((np.asarray(familiarity) < 1.0).sum())
        return cls(
            name,
            str(path),
            len(table),
            main_label(labels),
            int((labels != BACKGROUND).sum()),
            list(warnings),
            unfamiliar,
            visual_decoding=decoding,
        )


class FinishedVideos:
    def __init__(self, folder, model_tag: str):
        self.folder = Path(folder)
        self.model_tag = model_tag
        # Entries saved or found by this run, by name: the CSV is assembled from them even if
        # a video file changed or vanished since.
        self._entries: dict[str, Path] = {}

    def _entry(self, name: str, path) -> Path:
        if name in self._entries:
            return self._entries[name]
        stat = Path(path).stat()
        identity = json.dumps(
            [name, self.model_tag, str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns]
        )
        return self.folder / f"{hashlib.sha1(identity.encode('utf-8')).hexdigest()}.csv"

    def load(self, name: str, path) -> pd.DataFrame | None:
        """The rows already written for this video and model, or None."""
        try:
            entry = self._entry(name, path)
            if not entry.exists():
                return None
            table = read_per_second_csv(entry)
            self._entries[name] = entry
            return table
        except (OSError, DataSpecError) as exc:  # unreadable: label the video again
            log.warning("%s: ignoring finished rows (%s)", path, exc)
            return None

    def summary(self, name: str, path) -> VideoSummary | None:
        """The summary of this video's finished rows (marked resumed), or None if it has none."""
        try:
            entry = self._entry(name, path)
            if not entry.exists():
                return None
            summary = _read_summary(entry.with_suffix(".json"))
            if summary is None:  # written by an engine that kept no summary: read the rows
                summary = VideoSummary.of(name, path, read_per_second_csv(entry))
        except (OSError, DataSpecError) as exc:
            log.warning("%s: ignoring finished rows (%s)", path, exc)
            return None
        self._entries[name] = entry
        return dataclasses.replace(summary, name=name, path=str(path), resumed=True)

    def save(self, name: str, path, table: pd.DataFrame, summary: VideoSummary | None = None):
        """Write this video's rows (atomically; replaces an earlier copy of the same key), its
        summary first, so rows on disk always have the summary that goes with them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = self._entry(name, path)
        if summary is not None:
            with atomic_write(entry.with_suffix(".json")) as handle:
                json.dump(dataclasses.asdict(summary), handle)
        # Its segments too, from the rows at full precision (the CSV's are rounded).
        write_segments_csv(segments_from_table(table), entry.with_suffix(_SEGMENTS))
        write_per_second_csv(table, entry)
        self._entries[name] = entry

    def write_csv(self, names, out) -> int:
        """The per-second CSV of the finished videos `names`, in that order, copied file by file
        (never all in memory); the number of rows written."""
        empty = pd.DataFrame(columns=PER_SECOND_COLUMNS)
        return _concatenate([self._entries[name] for name in names], out, empty)

    def write_segments(self, names, out) -> None:
        """The merged segments of the finished videos `names`, in that order, file by file."""
        files = []
        for name in names:
            entry = self._entries[name]
            if not entry.with_suffix(_SEGMENTS).exists():  # written by an engine that kept none
                segments = segments_from_table(read_per_second_csv(entry))
                write_segments_csv(segments, entry.with_suffix(_SEGMENTS))
            files.append(entry.with_suffix(_SEGMENTS))
        _concatenate(files, out, pd.DataFrame(columns=SEGMENT_COLUMNS))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _concatenate(files, out, empty: pd.DataFrame) -> int:
    """One CSV of `files` (each with the same header line), streamed; the data lines written."""
    lines, header = 0, None
    with atomic_write(out) as handle:
        for path in files:
            with open(path, encoding="utf-8", newline="") as part:
                first = part.readline()
                if header is None:
                    header = first
                    handle.write(header)
                for line in part:
                    handle.write(line)
                    lines += 1
        if header is None:  # nothing finished: the header alone
            empty.to_csv(handle, index=False)
    return lines


def _read_summary(path: Path) -> VideoSummary | None:
    try:
        return VideoSummary(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
