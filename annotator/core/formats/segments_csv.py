"""The tool's own segments CSV (`video,label,start,end,confidence,source`), as in README.md ("Output files").

Runs of equal non-background labels; an event list, so on import the seconds between segments
are background (a person's word only where every segment of that video is a person's).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..conventions import BACKGROUND
from ..csv_io import write_segments_csv
from ..paths import video_path_relative_to
from ..table import PER_SECOND_COLUMNS, SEGMENT_COLUMNS, segments_from_table
from .base import (
    HUMAN,
    MODEL,
    Event,
    LabelFormat,
    ParsedFile,
    VideoLabels,
    check_label,
    first_line,
    parse_time,
    sniff,
)
from .per_second_csv import csv_rows, labelled_table, source_cell, write_table


class SegmentsCsv(LabelFormat):
    name = "segments"
    title = "Segments CSV"
    suffix = ".csv"
    reads_sources = True

    def can_read(self, path: Path) -> bool:
        return first_line(sniff(path)).replace(" ", "").startswith("video,label,start,end")

    def parse(self, path: Path) -> ParsedFile:
        parsed = ParsedFile(Path(path), fills_background=True)
        for line, row in csv_rows(path, SEGMENT_COLUMNS, ["video", "label", "start", "end"]):
            where = f"line {line}"
            label = check_label(row["label"], path, where)
            source = source_cell(row.get("source", ""), path, where)
            start = parse_time(row["start"], path, where, "start")
            end = parse_time(row["end"], path, where, "end")
            parsed.add(Event(row["video"], start, end, label, source, where))
            # Background between segments is a person's word only if every segment is theirs.
            if source != HUMAN or parsed.fill_sources.get(row["video"]) == MODEL:
                parsed.fill_sources[row["video"]] = MODEL
            else:
                parsed.fill_sources[row["video"]] = HUMAN
        return parsed

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        tables = [labelled_table(v, video_path_relative_to(v.path, out)) for v in videos]
        table = (
            pd.concat(tables, ignore_index=True)
            if tables
            else pd.DataFrame(columns=PER_SECOND_COLUMNS)
        )
        table = table[(table["label"] != BACKGROUND) & (table["label"] != "")]
        return [write_table(write_segments_csv, segments_from_table(table), out)]
