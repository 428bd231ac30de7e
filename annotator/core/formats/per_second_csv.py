"""The tool's own per-second CSV, as contracted in README.md ("Output files").

Writing goes through csv_io (atomic, formula-safe cells); reading here keeps line numbers so a
bad row is named. Only rows a person gave (source=human) become human labels on import.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..csv_io import _restore as restore_cell
from ..csv_io import write_per_second_csv
from ..paths import video_path_relative_to
from ..table import PER_SECOND_COLUMNS, second_spans
from .base import (
    HUMAN,
    MODEL,
    Event,
    LabelFileError,
    LabelFormat,
    ParsedFile,
    VideoLabels,
    check_label,
    first_line,
    parse_time,
    read_text,
    sniff,
)


def labelled_table(video: VideoLabels, video_column: str) -> pd.DataFrame:
    """The video's per-second rows with its labels and sources; a second nobody labelled keeps
    its row with an empty label and source."""
    spans = second_spans(video.duration)
    n = len(spans)
    if video.table is not None and len(video.table) == n:
        table = video.table.reset_index(drop=True).copy()
    else:
        table = pd.DataFrame(
            {
                "second": np.arange(n, dtype=np.int64),
                "start": [s for s, _ in spans],
                "end": [e for _, e in spans],
                "confidence": np.nan,
                "audio_label": "",
                "audio_confidence": np.nan,
                "visual_label": "",
                "visual_confidence": np.nan,
                "model": video.model,
            }
        )
    table["video"] = video_column
    table["label"] = [label if label is not None else "" for label in video.labels]
    table["source"] = list(video.sources)
    human = table["source"] == HUMAN
    table.loc[human, "confidence"] = 1.0
    return table[PER_SECOND_COLUMNS]


def csv_rows(path: Path, expected: list[str], required: list[str]):
    """(line number, {column: cell}) of each data row; the header must hold `required`."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except csv.Error as exc:
        raise LabelFileError(f"{path}: line 1: {exc}") from exc
    missing = [c for c in required if c not in header]
    if missing:
        raise LabelFileError(
            f"{path}: line 1: missing column(s) {', '.join(missing)}; expected {','.join(expected)}"
        )
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise LabelFileError(
                    f"{path}: line {reader.line_num}: {len(row)} cells for {len(header)} columns"
                )
            yield reader.line_num, {c: restore_cell(cell) for c, cell in zip(header, row)}
    except csv.Error as exc:
        raise LabelFileError(f"{path}: line {reader.line_num}: {exc}") from exc


def source_cell(cell: str, path: Path, where: str) -> str:
    source = cell.strip() or MODEL
    if source not in (HUMAN, MODEL):
        raise LabelFileError(f"{path}: {where}: source {cell!r} is neither human nor model")
    return source


class PerSecondCsv(LabelFormat):
    name = "csv"
    title = "Per-second CSV"
    suffix = ".csv"
    reads_sources = True

    def can_read(self, path: Path) -> bool:
        return first_line(sniff(path)).replace(" ", "").startswith("video,second,")

    def parse(self, path: Path) -> ParsedFile:
        parsed = ParsedFile(Path(path))
        for line, row in csv_rows(path, PER_SECOND_COLUMNS, ["video", "second", "label"]):
            where = f"line {line}"
            second = parse_time(row["second"], path, where, "second")
            if second != int(second) or second < 0:
                raise LabelFileError(
                    f"{path}: {where}: second {row['second']!r} is not a whole number from 0"
                )
            if not row["label"].strip():
                parsed.name_video(row["video"], where)  # a second nobody labelled
                continue
            label = check_label(row["label"], path, where)
            source = source_cell(row.get("source", ""), path, where)
            parsed.add(Event(row["video"], math.nan, math.nan, label, source, where, int(second)))
        return parsed

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        tables = [labelled_table(v, video_path_relative_to(v.path, out)) for v in videos]
        table = (
            pd.concat(tables, ignore_index=True)
            if tables
            else pd.DataFrame(columns=PER_SECOND_COLUMNS)
        )
        return [write_table(write_per_second_csv, table, out)]


def write_table(writer, frame: pd.DataFrame, out: Path) -> Path:
    try:
        return writer(frame, out)
    except OSError as exc:
        raise LabelFileError(
            f"{exc.filename or out}: cannot write ({exc.strerror or exc})"
        ) from exc
