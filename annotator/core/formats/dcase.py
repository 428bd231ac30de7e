"""DCASE / sed_eval / TUT event lists: tab-separated, one event a line.

The layouts the DCASE challenges, sed_eval and dcase_util read, told apart by a header or by the
first line's cells:
- `filename onset offset event_label` (the challenges' .tsv metadata, with a header; written here)
- `onset offset event_label` (sed_eval's own default, TUT's per-file .ann): one video, named like
  the label file (or --video)
- `filename scene_label onset offset event_label [...]` (TUT Sound Events' meta.txt)
- `filename scene_label` (acoustic scene lists): the whole video takes the label
Cells holding a tab, quote or line break are quoted as the csv module (and pandas, and sed_eval's
loader) read them; a label or name starting with = + - @ is written behind an apostrophe, as in
the CSVs, unless the export asks for literal labels. A video without events is listed by its file
name alone, so an import still knows that all its seconds are background.
"""

from __future__ import annotations

import csv
import io
import math
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

HEADER = ["filename", "onset", "offset", "event_label"]
_HEADER_NAMES = {"filename", "file", "onset", "offset", "event_label", "scene_label"}
LAYOUTS = {
    "events": {"filename": 0, "onset": 1, "offset": 2, "event_label": 3},
    "one video": {"onset": 0, "offset": 1, "event_label": 2},
    "TUT": {"filename": 0, "scene_label": 1, "onset": 2, "offset": 3, "event_label": 4},
    "scenes": {"filename": 0, "event_label": 1},
}


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text.strip().replace(",", ".")))
    except ValueError:
        return False


def _cells(row: list[str]) -> list[str]:
    """The row without its trailing empty cells."""
    row = list(row)
    while row and not row[-1].strip():
        row.pop()
    return row


def layout_of(row: list[str]) -> str | None:
    """Which layout a data row is in, from its cells; None if none fits."""
    cells = _cells(row)
    n = len(cells)
    if n == 1 and Path(cells[0].strip()).suffix:
        return "events"  # a recording without events, as written for one
    if n == 3 and _is_number(cells[0]) and _is_number(cells[1]):
        return "one video"
    if n == 4 and _is_number(cells[1]) and _is_number(cells[2]):
        return "events"
    if n >= 5 and _is_number(cells[2]) and _is_number(cells[3]):
        return "TUT"
    if n == 2 and not _is_number(cells[0]) and not _is_number(cells[1]):
        return "scenes" if Path(cells[0].strip()).suffix else None
    return None


class DcaseEventList(LabelFormat):
    name = "dcase"
    title = "DCASE / sed_eval event list"
    suffix = ".tsv"

    def can_read(self, path: Path) -> bool:
        cells = first_line(sniff(path)).split("\t")
        if [c.strip().lower() for c in cells[:4]] == HEADER:
            return True
        # Three numbers-first cells are an Audacity label track as much as a sed_eval list, and
        # Audacity's reader (spectral lines, points) reads both the same way: leave it to it.
        return layout_of(cells) not in (None, "one video")

    def parse(self, path: Path) -> ParsedFile:
        parsed = ParsedFile(Path(path), fills_background=True)
        reader = csv.reader(io.StringIO(read_text(path), newline=""), delimiter="\t")
        columns, layout = None, None
        try:
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if columns is None and line == 1 and _is_header(row):
                    columns, layout = _header_columns(row, path), "header"
                    continue
                if columns is None:
                    layout = layout_of(row)
                    if layout is None:
                        raise LabelFileError(
                            f"{path}: line {line}: {len(_cells(row))} cell(s) in no DCASE "
                            "layout (onset<TAB>offset<TAB>label, filename<TAB>onset<TAB>offset"
                            "<TAB>label, or TUT's filename<TAB>scene<TAB>onset<TAB>offset<TAB>"
                            "label)"
                        )
                    columns = LAYOUTS[layout]
                self._row(parsed, row, columns, layout, f"line {line}")
        except csv.Error as exc:
            raise LabelFileError(f"{path}: line {reader.line_num}: {exc}") from exc
        if layout == "one video" or (layout == "header" and "filename" not in columns):
            parsed.name_video("", "file name")
        return parsed

    @staticmethod
    def _row(parsed: ParsedFile, row: list[str], columns: dict, layout: str, where: str) -> None:
        path = parsed.path
        row = [restore_cell(cell) for cell in row]
        cells = {name: (row[index] if index < len(row) else "") for name, index in columns.items()}
        width = max(columns.values()) + 1
        if layout not in ("TUT", "header") and len(_cells(row)) > width:
            raise LabelFileError(
                f"{path}: {where}: {len(_cells(row))} cells; expected "
                f"{'<TAB>'.join(sorted(columns, key=columns.get))}"
            )
        video = cells.get("filename", "").strip()
        if "filename" in columns and not video:
            raise LabelFileError(f"{path}: {where}: no filename")
        label = cells["event_label"]
        if layout == "scenes":
            event = Event(video, 0.0, math.inf, check_label(label, path, where), where=where)
            parsed.add(event)
            return
        onset, offset = cells["onset"], cells["offset"]
        if video and not (onset.strip() or offset.strip() or label.strip()):
            parsed.name_video(video, where)  # a file without events: all background
            return
        start = parse_time(onset, path, where, "onset")
        end = parse_time(offset, path, where, "offset")
        parsed.add(Event(video, start, end, check_label(label, path, where), where=where))

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        return self.write_with(videos, out, None)

    def write_with(self, videos: list[VideoLabels], out: Path, options) -> list[Path]:
        literal = bool(options and options.literal_labels)
        cell = (lambda text: text) if literal else spreadsheet_safe
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
        writer.writerow(HEADER)
        for video in videos:
            name = cell(video_path_relative_to(video.path, out))
            events = event_runs(video)
            for run in events:
                writer.writerow([name, f"{run.start:.3f}", f"{run.end:.3f}", cell(run.label)])
            if not events:
                writer.writerow([name, "", "", ""])
        return [write_text_atomic(out, buffer.getvalue())]


def _is_header(row: list[str]) -> bool:
    names = {c.strip().lower() for c in row}
    return {"onset", "offset"} <= names or [c.strip().lower() for c in row[:4]] == HEADER


def _header_columns(row: list[str], path: Path) -> dict[str, int]:
    columns = {}
    for index, cell in enumerate(row):
        name = cell.strip().lower()
        name = "filename" if name == "file" else name
        if name in _HEADER_NAMES:
            columns.setdefault(name, index)
    missing = [c for c in ("onset", "offset", "event_label") if c not in columns]
    if missing:
        raise LabelFileError(f"{path}: line 1: header lacks {', '.join(missing)}")
    return columns
