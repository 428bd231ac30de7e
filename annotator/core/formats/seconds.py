"""From a file's events to per-second labels of the project's videos.

Videos are matched by path (relative to the label file's folder, or absolute) and then by file
name. A second takes the label that covers most of it; in an event list the time no event covers
counts as `background`, elsewhere as nobody's label. Ties and overlapping events are reported.
Every check that can fail does so before anything is returned, naming the file and the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Mapping
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from ..conventions import BACKGROUND
from ..table import second_spans
from .base import HUMAN, Event, LabelFileError, LabelFormat

# A little slack at the end: ELAN rounds to milliseconds, Label Studio to frames (1/24 s).
END_TOLERANCE = 0.05
_EPSILON = 1e-6
_MAX_NOTES = 12
# Label Studio stores an uploaded file as "<8 hex digits>-<original name>".
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")


@dataclass
class ReadVideo:
    name: str  # the project's name for the video
    duration: float
    labels: list[str | None]
    sources: list[str]
    where: str = ""  # where the file first names it


@dataclass
class ReadResult:
    path: Path
    format: str
    videos: dict[str, ReadVideo] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    label_where: dict[str, str] = field(default_factory=dict)  # label -> where first given


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

    def match(self, reference: str, file: Path, where: str) -> str:
        """The project's name of the video a file refers to; LabelFileError if none or several."""
        if not reference:
            return self._match_stem(file, where)
        text = reference.strip()
        if text.lower().startswith("file:"):
            text = url2pathname(unquote(urlparse(text).path))
        if "\\" in text and "/" not in text:
            text = text.replace("\\", "/")  # a Windows path
        for spelling in dict.fromkeys((text, unquote(text))):
            candidate = (
                Path(spelling) if Path(spelling).is_absolute() else Path(file).parent / spelling
            )
            try:
                found = self._by_path.get(str(candidate.resolve()))
            except (OSError, ValueError):  # not a path at all (a NUL, far too long)
                found = None
            if found:
                return found
        file_name = Path(text).name
        for name in dict.fromkeys(
            (file_name, unquote(file_name), _UPLOAD_PREFIX.sub("", file_name))
        ):
            names = self._by_file_name.get(name, [])
            if len(names) == 1:
                return names[0]
            if len(names) > 1:
                raise LabelFileError(
                    f"{file}: {where}: video {reference!r} matches "
                    f"{len(names)} videos by name ({', '.join(sorted(names))}); "
                    "write its path instead"
                )
        raise LabelFileError(f"{file}: {where}: unknown video {reference!r}{self._where_folder()}")

    def match_any(self, references: list[str], file: Path, where: str) -> str:
        """The first of several references (say a relative and an absolute URL) that matches."""
        first_error = None
        for reference in references:
            try:
                return self.match(reference, file, where)
            except LabelFileError as exc:
                first_error = first_error or exc
        raise first_error

    def _match_stem(self, file: Path, where: str) -> str:
        file = Path(file)
        for stem in (file.stem, Path(file.stem).stem):
            names = self._by_file_name.get(stem, []) or self._by_stem.get(stem, [])
            if len(names) == 1:
                return names[0]
            if len(names) > 1:
                raise LabelFileError(
                    f"{file}: cannot tell which video it labels: "
                    f"{', '.join(sorted(names))} share its name"
                )
        raise LabelFileError(
            f"{file}: {where or 'file name'}: no video named like "
            f"{file.stem!r}{self._where_folder()}; name the file after its video"
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


def read_labels(fmt: LabelFormat, path: Path, catalog: VideoCatalog) -> ReadResult:
    """Parse `path` with `fmt` and lay its events over the seconds of the videos it names."""
    parsed = fmt.parse(path)
    if not parsed.videos:
        raise LabelFileError(f"{path}: names no video and holds no labels: nothing to import")
    result = ReadResult(path, fmt.name, notes=list(parsed.notes))
    grouped: dict[str, list[Event]] = {}
    fill_sources: dict[str, str] = {}
    references: dict[str, str] = {}
    for reference, where in parsed.videos.items():
        name = references[reference] = catalog.match_any(
            [reference] + parsed.alternatives.get(reference, []), path, where
        )
        grouped.setdefault(name, [])
        fill_sources.setdefault(name, parsed.fill_sources.get(reference, HUMAN))
        if name not in result.videos:
            result.videos[name] = ReadVideo(name, 0.0, [], [], where)
    for event in parsed.events:
        grouped[references[event.video]].append(event)
        result.label_where.setdefault(event.label, event.where)
    for name, events in grouped.items():
        video = result.videos[name]
        video.duration = catalog.duration(name, path, video.where)
        fill = BACKGROUND if parsed.fills_background else None
        video.labels, video.sources = lay_over_seconds(
            events, video.duration, fill, fill_sources[name], path, name, result.notes
        )
    if len(result.notes) > _MAX_NOTES:
        hidden = len(result.notes) - _MAX_NOTES
        result.notes = result.notes[:_MAX_NOTES] + [f"{path.name}: and {hidden} more notes"]
    return result


def _check_event(event: Event, duration: float, seconds: int, path: Path, video: str) -> None:
    if event.second is not None:
        if not 0 <= event.second < seconds:
            raise LabelFileError(
                f"{path}: {event.where}: second {event.second} is beyond the end "
                f"of {video} ({seconds} seconds, {duration:g} s)"
            )
        return
    if event.start < 0 or event.end < 0:
        raise LabelFileError(
            f"{path}: {event.where}: negative time ({event.start:g}–{event.end:g} s)"
        )
    if event.end < event.start:
        raise LabelFileError(
            f"{path}: {event.where}: reversed interval: ends at {event.end:g} s "
            f"before it starts at {event.start:g} s"
        )
    if event.end > duration + END_TOLERANCE:
        raise LabelFileError(
            f"{path}: {event.where}: {event.start:g}–{event.end:g} s is beyond "
            f"the end of {video} ({duration:g} s)"
        )


def lay_over_seconds(
    events: list[Event],
    duration: float,
    fill: str | None,
    fill_source: str,
    path: Path,
    video: str,
    notes: list[str],
):
    """(labels, sources) per second: each second takes the label covering most of it."""
    spans = second_spans(duration)
    for event in events:
        _check_event(event, duration, len(spans), path, video)
    # coverage[second] = {(label, source): (seconds covered, order of first event)}
    coverage: list[dict] = [{} for _ in spans]
    intervals = []
    for order, event in enumerate(events):
        if event.second is not None:
            _cover(
                coverage[event.second],
                event,
                spans[event.second][1] - spans[event.second][0],
                order,
            )
            continue
        start, end = max(0.0, event.start), min(event.end, spans[-1][1])
        if end - start <= _EPSILON:
            continue
        intervals.append((start, end, event))
        first = min(int(start), len(spans) - 1)
        for second in range(first, len(spans)):
            s0, s1 = spans[second]
            if s0 >= end:
                break
            overlap = min(end, s1) - max(start, s0)
            if overlap > _EPSILON:
                _cover(coverage[second], event, overlap, order)
    _note_overlaps(intervals, path, video, notes)
    labels: list[str | None] = []
    sources: list[str] = []
    for second, (s0, s1) in enumerate(spans):
        label, source = _winner(
            coverage[second], s1 - s0, fill, fill_source, path, video, second, notes
        )
        labels.append(label)
        sources.append(source if label is not None else "")
    return labels, sources


def _cover(cell: dict, event: Event, amount: float, order: int) -> None:
    key = (event.label, event.source)
    covered, first = cell.get(key, (0.0, order))
    cell[key] = (covered + amount, first)


def _winner(cell: dict, length: float, fill, fill_source, path, video, second, notes):
    gap = max(0.0, length - sum(covered for covered, _ in cell.values()))
    ranked = sorted(
        ((covered, -order, key) for key, (covered, order) in cell.items()), reverse=True
    )
    if not ranked:
        return (fill, fill_source) if fill is not None else (None, "")
    best_cover, _, (label, source) = ranked[0]
    tied = [key[0] for covered, _, key in ranked if abs(covered - best_cover) <= _EPSILON]
    if len(set(tied)) > 1:
        notes.append(
            f"{path.name}: {video} second {second}: tie between "
            f"{', '.join(repr(t) for t in dict.fromkeys(tied))}; took {label!r}"
        )
    if gap > best_cover + _EPSILON:
        return (fill, fill_source) if fill is not None else (None, "")
    if gap > _EPSILON and abs(gap - best_cover) <= _EPSILON and label != fill:
        notes.append(
            f"{path.name}: {video} second {second}: tie between {label!r} and "
            f"{'background' if fill else 'no label'} (uncovered); took {label!r}"
        )
    return label, source


def _note_overlaps(intervals, path: Path, video: str, notes: list[str]) -> None:
    intervals = sorted(intervals, key=lambda item: (item[0], item[1]))
    reach = None
    for start, end, event in intervals:
        if reach is not None and start < reach[0] - _EPSILON and event.label != reach[1].label:
            other = reach[1]
            notes.append(
                f"{path.name}: {video}: {event.label!r} ({event.where}, "
                f"{start:g}–{end:g} s) overlaps {other.label!r} ({other.where})"
            )
        if reach is None or end > reach[0]:
            reach = (end, event)
