"""BORIS's tabular events export: a preamble of `key<TAB>value` lines, then a table with one row
per START, STOP or POINT and its Time. A START and the next STOP of the same behavior of the same
subject on the same video make one event; points cover no time (counted in a note); a START
without its STOP is refused, naming its line. Also the helpers both BORIS readers share.
"""

from __future__ import annotations

from pathlib import Path

from .base import Event, LabelFileError, ParsedFile, check_label, parse_time

NA = "NA"  # BORIS's "not available"
MEDIA_SUFFIXES = {
    ".mp4", ".avi", ".mov", ".mkv", ".mpg", ".mpeg", ".m4v", ".webm", ".wmv", ".flv",
    ".wav", ".mp3", ".m4a", ".flac", ".ogg",
}  # fmt: skip
_TYPE_COLUMNS = ("Behavior type", "Status")
PREAMBLE_ROWS = 500  # the table header comes within this many rows of the start


def tabular_header_line(rows: list[tuple[int, list[str]]]) -> int | None:
    """The index in `rows` of the tabular export's table header (Time, Behavior, Status or
    Behavior type), or None for any other file."""
    for index, (_line, row) in enumerate(rows):
        cells = [c.strip() for c in row]
        if "Time" in cells and "Behavior" in cells and any(t in cells for t in _TYPE_COLUMNS):
            return index
        if "Start (s)" in cells:
            return None  # aggregated
    return None


def read_tabular(parsed: ParsedFile, header_row, rows, video_columns) -> None:
    """Pair the START and STOP `rows` (line, cells) under the table's `header_row`."""
    path = parsed.path
    header_line, header = header_row[0], [c.strip() for c in header_row[1]]
    kind_column = next(t for t in _TYPE_COLUMNS if t in header)
    if not any(c in header for c in video_columns):
        raise LabelFileError(
            f"{path}: line {header_line}: no column names the video (expected one of "
            f"{', '.join(video_columns)})"
        )
    column = {name: header.index(name) for name in header if name}
    open_events: dict[tuple, tuple[float, str]] = {}
    points, subjects = 0, set()
    for line, row in rows:
        where = f"line {line}"
        cell = {name: (row[i].strip() if i < len(row) else "") for name, i in column.items()}
        kind = cell.get(kind_column, "").upper()
        if kind == "POINT":
            points += 1
            continue
        if kind not in ("START", "STOP"):
            raise LabelFileError(
                f"{path}: {where}: {kind_column} {cell.get(kind_column, '')!r}: "
                "expected START, STOP or POINT"
            )
        video = video_of(cell, path, where, video_columns)
        label = check_label(cell.get("Behavior", ""), path, where)
        subject = cell.get("Subject", "")
        subjects.add(subject)
        time = parse_time(cell.get("Time", ""), path, where, "Time")
        key = (video, subject, label)
        if kind == "START":
            if key in open_events:
                raise LabelFileError(
                    f"{path}: {where}: {label!r} of {subject or 'no subject'} starts again "
                    f"before the STOP of its START on {open_events[key][1]}"
                )
            open_events[key] = (time, where)
            continue
        if key not in open_events:
            raise LabelFileError(f"{path}: {where}: STOP of {label!r} without a START")
        start, started = open_events.pop(key)
        parsed.add(Event(video, start, time, label, where=f"{started}–{line}"))
    if open_events:
        (video, subject, label), (_time, where) = next(iter(open_events.items()))
        raise LabelFileError(f"{path}: {where}: START of {label!r} has no STOP")
    note_points_and_subjects(parsed, points, subjects)


def video_of(cell: dict, path: Path, where: str, columns) -> str:
    for name in columns:
        value = cell.get(name, "")
        if value and value != NA:
            if name == "Source":  # "player #1:/path/a.mp4;/path/b.mp4"
                value = value.split(":", 1)[-1].split(";")[0].split("|")[0]
            return value
    raise LabelFileError(f"{path}: {where}: no media file named for this event")


def note_points_and_subjects(parsed: ParsedFile, points: int, subjects: set) -> None:
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
