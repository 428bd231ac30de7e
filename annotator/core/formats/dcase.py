"""DCASE / sed_eval event lists: `filename<TAB>onset<TAB>offset<TAB>event_label`, with a header.

The layout of the DCASE sound event detection challenges' metadata (.tsv) and of sed_eval's
event lists. Cells holding a tab, quote or line break are quoted as the csv module (and pandas,
and sed_eval's loader) read them. A video without events is listed by its file name alone, so an
import still knows that all its seconds are background.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

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
from ..paths import video_path_relative_to

HEADER = ["filename", "onset", "offset", "event_label"]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


class DcaseEventList(LabelFormat):
    name = "dcase"
    title = "DCASE / sed_eval event list"
    suffix = ".tsv"

    def can_read(self, path: Path) -> bool:
        cells = first_line(sniff(path)).split("\t")
        if [c.strip().lower() for c in cells[:4]] == HEADER:
            return True
        return len(cells) == 4 and _is_number(cells[1]) and _is_number(cells[2])

    def parse(self, path: Path) -> ParsedFile:
        parsed = ParsedFile(Path(path), fills_background=True)
        reader = csv.reader(io.StringIO(read_text(path), newline=""), delimiter="\t")
        columns = dict(zip(HEADER, range(4)))
        try:
            for row in reader:
                line = reader.line_num
                if line == 1 and [c.strip().lower() for c in row[:4]] == HEADER:
                    columns = {
                        name: row.index(cell)
                        for cell in row
                        if (name := cell.strip().lower()) in HEADER
                    }
                    continue
                if not any(cell.strip() for cell in row):
                    continue
                self._row(parsed, row, columns, f"line {line}")
        except csv.Error as exc:
            raise LabelFileError(f"{path}: line {reader.line_num}: {exc}") from exc
        return parsed

    @staticmethod
    def _row(parsed: ParsedFile, row: list[str], columns: dict, where: str) -> None:
        path = parsed.path
        cells = {name: (row[index] if index < len(row) else "") for name, index in columns.items()}
        if len(row) > len(columns) and any(c.strip() for c in row[len(columns) :]):
            raise LabelFileError(
                f"{path}: {where}: {len(row)} cells; expected {'<TAB>'.join(HEADER)}"
            )
        video = cells["filename"].strip()
        if not video:
            raise LabelFileError(f"{path}: {where}: no filename")
        onset, offset, label = cells["onset"], cells["offset"], cells["event_label"]
        if not (onset.strip() or offset.strip() or label.strip()):
            parsed.name_video(video, where)  # a file without events: all background
            return
        start = parse_time(onset, path, where, "onset")
        end = parse_time(offset, path, where, "offset")
        parsed.add(Event(video, start, end, check_label(label, path, where), where=where))

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
        writer.writerow(HEADER)
        for video in videos:
            name = video_path_relative_to(video.path, out)
            events = event_runs(video)
            for run in events:
                writer.writerow([name, f"{run.start:.3f}", f"{run.end:.3f}", run.label])
            if not events:
                writer.writerow([name, "", "", ""])
        return [write_text_atomic(out, buffer.getvalue())]
