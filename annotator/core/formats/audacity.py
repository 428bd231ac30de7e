"""Audacity label tracks: `start<TAB>end<TAB>label` per line, one file per video.

As Audacity's own LabelImportExport reads them: a tab always ends a field, so a label cannot hold
a tab or a line break (writing one is refused rather than cut); a line starting with a backslash
carries a label's frequency range and is skipped; a label whose end equals its start (or is
missing) is a point and covers no time. The file is matched to its video by name: `clip.txt`
labels `clip.mp4`.
"""

from __future__ import annotations

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
    out_folder,
    parse_time,
    per_video_paths,
    read_text,
    sniff,
    write_text_atomic,
)


def _is_number(text: str) -> bool:
    try:
        float(text.strip().replace(",", "."))
    except ValueError:
        return False
    return True


class AudacityLabels(LabelFormat):
    name = "audacity"
    title = "Audacity label track"
    suffix = ".txt"
    one_file_per_video = True

    def can_read(self, path: Path) -> bool:
        lines = [line for line in sniff(path).splitlines()[:20] if line.strip()]
        if not lines:
            return False
        for line in lines:
            cells = line.split("\t")
            if cells[0] == "\\":
                continue
            if len(cells) < 2 or not _is_number(cells[0]) or not _is_number(cells[1]):
                return False
        return True

    def parse(self, path: Path) -> ParsedFile:
        parsed = ParsedFile(Path(path), fills_background=True)
        parsed.name_video("", "file name")
        points = 0
        # Only CR and LF end a line, as in Audacity (str.splitlines would also cut at U+2028);
        # a StringIO walks the lines one by one, so a huge file fails at its first bad line.
        for number, line in enumerate(io.StringIO(read_text(path), newline=""), start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("\\"):
                continue
            where = f"line {number}"
            cells = [cell for cell in line.split("\t") if cell != ""]
            start = parse_time(cells[0], path, where, "start")
            if len(cells) >= 2 and _is_number(cells[1]):
                end, label = parse_time(cells[1], path, where, "end"), cells[2:3]
            else:
                end, label = start, cells[1:2]
            if not label:
                raise LabelFileError(f"{path}: {where}: no label text after the times")
            if end == start:
                points += 1
                continue
            parsed.add(Event("", start, end, check_label(label[0], path, where), where=where))
        if points:
            parsed.notes.append(
                f"{Path(path).name}: {points} point label(s) skipped: they cover no time"
            )
        return parsed

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        folder = out_folder(out)
        written = []
        for video, path in zip(videos, per_video_paths(videos, folder, self.suffix)):
            events = event_runs(video)
            if not events:
                continue  # an empty file would read as a mistake; see the formats table in README.md
            lines = []
            for run in events:
                if any(ch in run.label for ch in "\t\r\n"):
                    raise LabelFileError(
                        f"{path}: label {run.label!r} of {video.path.name} holds "
                        "a tab or line break, which Audacity reads as the end "
                        "of the label; rename it first"
                    )
                lines.append(f"{run.start:.6f}\t{run.end:.6f}\t{run.label}\n")
            written.append(write_text_atomic(path, "".join(lines)))
        return written
