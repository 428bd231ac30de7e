"""BORIS exports of coded events, as Tab Separated Values.

Read: the aggregated events export (one row per state event with Behavior, Behavior type, Start (s)
and Stop (s); BORIS's export_observation.py), with its header or without one (BORIS can leave it
out: the columns are then found from the STATE/POINT cell), and the tabular events export (a
preamble, then one row per START or STOP with its Time, paired here per subject and behavior).
The video is the Media file name (else the older Media file, Media file path, Source, or the
Observation id). Point events cover no time: they are counted in a note; several subjects are
merged into one label per second (noted). Written: aggregated events with BORIS's header; a
label or name starting with = + - @ goes behind an apostrophe, as in the CSVs, unless the export
asks for literal labels.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime
from pathlib import Path

from ..csv_io import _neutralise as spreadsheet_safe
from ..csv_io import _restore as restore_cell
from ..paths import video_path_relative_to
from .base import (
    Event,
    LabelFileError,
    LabelFormat,
    ParsedFile,
    VideoLabels,
    check_label,
    event_runs,
    first_line,
    parse_time,
    read_text,
    sniff,
    write_text_atomic,
)
from .boris_tabular import (
    MEDIA_SUFFIXES,
    NA,
    PREAMBLE_ROWS,
    note_points_and_subjects,
    read_tabular,
    tabular_header_line,
    video_of,
)

HEADER = [
    "Observation id",
    "Observation date",
    "Description",
    "Observation type",
    "Source",
    "Time offset (s)",
    "Coding duration",
    "Media duration (s)",
    "FPS (frame/s)",
    "Subject",
    "Observation duration by subject by observation",
    "Behavior",
    "Behavioral category",
    "Behavior type",
    "Start (s)",
    "Stop (s)",
    "Duration (s)",
    "Media file name",
    "Image index start",
    "Image index stop",
    "Image file path start",
    "Image file path stop",
    "Comment start",
    "Comment stop",
]
NO_FOCAL_SUBJECT = "No focal subject"
_VIDEO_COLUMNS = ("Media file name", "Media file", "Media file path", "Source", "Observation id")
_KINDS = ("STATE", "POINT")


class BorisAggregatedEvents(LabelFormat):
    name = "boris"
    title = "BORIS events (TSV)"
    suffix = ".tsv"

    def can_read(self, path: Path) -> bool:
        head = sniff(path)
        cells = first_line(head).split("\t")
        if "Behavior" in cells and "Start (s)" in cells and "Stop (s)" in cells:
            return True
        if cells[0].strip() == "Observation id":
            return True  # the tabular export's preamble ("Observation id<TAB>its name")
        return _headerless_columns(cells) is not None

    def parse(self, path: Path) -> ParsedFile:
        parsed = ParsedFile(Path(path), fills_background=True)
        rows = _rows(path)  # one at a time: a huge bad file fails at its first bad row
        head = list(itertools.islice(rows, 1))
        if not head:
            raise LabelFileError(f"{path}: empty file: no labels to import")
        first = head[0][1]
        if first[0].strip() == "Observation id" and "Start (s)" not in first:
            head += itertools.islice(rows, PREAMBLE_ROWS)  # the tabular export's preamble
        tabular_at = tabular_header_line(head)
        if tabular_at is not None:
            rest = itertools.chain(head[tabular_at + 1 :], rows)
            read_tabular(parsed, head[tabular_at], rest, _VIDEO_COLUMNS)
            return parsed
        if "Behavior" in first:
            column = self._columns(first, path)
            data = itertools.chain(head[1:], rows)
        else:
            column = None
            data = itertools.chain(head, rows)
        points, subjects = 0, set()
        for line, row in data:
            where = f"line {line}"
            cell = self._cells(row, column, path, where)
            kind = cell.get("Behavior type", "STATE").upper() or "STATE"
            if kind in ("START", "STOP"):
                raise LabelFileError(
                    f"{path}: {where}: Behavior type {kind} in an aggregated export; "
                    "export the tabular events (with its Time column) or aggregated events"
                )
            if kind == "POINT":
                points += 1
                continue
            subjects.add(cell.get("Subject", ""))
            video = self._video(cell, path, where)
            start = parse_time(cell["Start (s)"], path, where, "Start (s)")
            end = parse_time(cell["Stop (s)"], path, where, "Stop (s)")
            label = check_label(cell["Behavior"], path, where)
            parsed.add(Event(video, start, end, label, where=where))
        note_points_and_subjects(parsed, points, subjects)
        return parsed

    @staticmethod
    def _cells(row: list[str], column, path: Path, where: str) -> dict[str, str]:
        if column is None:
            found = _headerless_columns(row)
            if found is None:
                raise LabelFileError(
                    f"{path}: {where}: no header and no STATE or POINT cell followed by "
                    "start and stop times: not a BORIS aggregated events row"
                )
            column = found
        return {name: (row[i].strip() if i < len(row) else "") for name, i in column.items()}

    @staticmethod
    def _columns(header: list[str], path: Path) -> dict[str, int]:
        header = [cell.strip() for cell in header]
        missing = [c for c in ("Behavior", "Start (s)", "Stop (s)") if c not in header]
        if missing:
            raise LabelFileError(
                f"{path}: line 1: missing column(s) {', '.join(missing)}; "
                "expected BORIS's aggregated events"
            )
        if not any(c in header for c in _VIDEO_COLUMNS):
            raise LabelFileError(
                f"{path}: line 1: no column names the video (expected one of "
                f"{', '.join(_VIDEO_COLUMNS)})"
            )
        return {name: header.index(name) for name in header}

    @staticmethod
    def _video(cell: dict, path: Path, where: str) -> str:
        return video_of(cell, path, where, _VIDEO_COLUMNS)

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        return self.write_with(videos, out, None)

    def write_with(self, videos: list[VideoLabels], out: Path, options) -> list[Path]:
        safe = (lambda text: text) if options and options.literal_labels else spreadsheet_safe
        buffer = io.StringIO()
        # BORIS writes its TSV through tablib: the csv module with CRLF line ends.
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\r\n")
        writer.writerow(HEADER)
        date = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        for video in videos:
            media = video_path_relative_to(video.path, out)
            events = event_runs(video)
            coded = sum(run.end - run.start for run in events)
            for run in events:
                writer.writerow(
                    [
                        safe(video.path.stem),
                        date,
                        "AV Annotator export",
                        "Media file",
                        safe(f"player #1:{media}"),
                        "0.000",
                        f"{video.duration:.3f}",
                        f"{video.duration:.3f}",
                        NA,
                        NO_FOCAL_SUBJECT,
                        f"{coded:.3f}",
                        safe(run.label),
                        "Not defined",
                        "STATE",
                        f"{run.start:.3f}",
                        f"{run.end:.3f}",
                        f"{run.end - run.start:.3f}",
                        safe(media),
                        NA,
                        NA,
                        NA,
                        NA,
                        "",
                        "",
                    ]
                )
        return [write_text_atomic(out, buffer.getvalue())]


def _rows(path: Path):
    """(line number, cells) of each non-blank row, apostrophe-quoted cells restored."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""), delimiter="\t")
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield reader.line_num, [restore_cell(cell) for cell in row]
    except csv.Error as exc:
        raise LabelFileError(f"{path}: line {reader.line_num}: {exc}") from exc


def _headerless_columns(row: list[str]) -> dict[str, int] | None:
    """The columns of a header-less aggregated row, from its STATE/POINT cell: Subject,
    Behavior, Behavioral category and Modifiers come before it, Start, Stop after."""
    for t, cell in enumerate(row):
        if cell.strip().upper() in _KINDS and t >= 4 and len(row) > t + 2:
            try:
                float(row[t + 1]), float(row[t + 2])
            except ValueError:
                continue
            column = {
                "Subject": t - 4,
                "Behavior": t - 3,
                "Behavior type": t,
                "Start (s)": t + 1,
                "Stop (s)": t + 2,
            }
            media = next(
                (
                    i
                    for i, c in enumerate(row[:t])
                    if Path(c.strip()).suffix.lower() in MEDIA_SUFFIXES
                ),
                None,
            )
            column["Media file name" if media is not None else "Observation id"] = (
                media if media is not None else 0
            )
            return column
    return None
