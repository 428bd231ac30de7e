"""BORIS aggregated events, exported as Tab Separated Values.

The columns are those BORIS writes for an observation of one media file (export_observation.py in
BORIS's source): each state event is a row with Behavior, Behavior type (STATE), Start (s),
Stop (s) and Media file name. Reading needs only Behavior, Start (s), Stop (s) and a column
naming the video (Media file name, else the older Media file, else Source, else Observation id);
point events cover no time and are skipped with a note; several subjects are merged (noted).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

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
NA = "NA"  # BORIS's "not available"
NO_FOCAL_SUBJECT = "No focal subject"
_VIDEO_COLUMNS = ("Media file name", "Media file", "Source", "Observation id")


class BorisAggregatedEvents(LabelFormat):
    name = "boris"
    title = "BORIS aggregated events (TSV)"
    suffix = ".tsv"

    def can_read(self, path: Path) -> bool:
        cells = first_line(sniff(path)).split("\t")
        return "Behavior" in cells and "Start (s)" in cells and "Stop (s)" in cells

    def parse(self, path: Path) -> ParsedFile:
        parsed = ParsedFile(Path(path), fills_background=True)
        reader = csv.reader(io.StringIO(read_text(path), newline=""), delimiter="\t")
        try:
            header = [cell.strip() for cell in next(reader)]
            column = self._columns(header, path)
            points, subjects = 0, set()
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                where = f"line {reader.line_num}"
                cell = {
                    name: (row[i].strip() if i < len(row) else "") for name, i in column.items()
                }
                kind = cell.get("Behavior type", "STATE").upper() or "STATE"
                if kind in ("START", "STOP"):
                    raise LabelFileError(
                        f"{path}: {where}: Behavior type {kind}: this is BORIS's "
                        "tabular events export; export aggregated events"
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
        except csv.Error as exc:
            raise LabelFileError(f"{path}: line {reader.line_num}: {exc}") from exc
        if points:
            parsed.notes.append(
                f"{parsed.path.name}: {points} point event(s) skipped: they cover no time"
            )
        if len(subjects) > 1:
            parsed.notes.append(
                f"{parsed.path.name}: events of {len(subjects)} subjects "
                f"({', '.join(sorted(map(repr, subjects)))}) merged into one "
                "label per second"
            )
        return parsed

    @staticmethod
    def _columns(header: list[str], path: Path) -> dict[str, int]:
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
        for name in _VIDEO_COLUMNS:
            value = cell.get(name, "")
            if value and value != NA:
                if name == "Source":  # "player #1:/path/a.mp4;/path/b.mp4"
                    value = value.split(":", 1)[-1].split(";")[0].split("|")[0]
                return value
        raise LabelFileError(f"{path}: {where}: no media file named for this event")

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
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
                        video.path.stem,
                        date,
                        "AV Annotator export",
                        "Media file",
                        f"player #1:{media}",
                        "0.000",
                        f"{video.duration:.3f}",
                        f"{video.duration:.3f}",
                        NA,
                        NO_FOCAL_SUBJECT,
                        f"{coded:.3f}",
                        run.label,
                        "Not defined",
                        "STATE",
                        f"{run.start:.3f}",
                        f"{run.end:.3f}",
                        f"{run.end - run.start:.3f}",
                        media,
                        NA,
                        NA,
                        NA,
                        NA,
                        "",
                        "",
                    ]
                )
        return [write_text_atomic(out, buffer.getvalue())]
