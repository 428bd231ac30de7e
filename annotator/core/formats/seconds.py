"""From a file's events to per-second labels of the project's videos, accounting for every event.

A second takes the label covering the largest part of it, if that part is at least `min_cover`
of the second (half by default; `any` lets an event take every second it touches, so events
shorter than a second survive). In an event list the seconds no label takes are `background`,
elsewhere nobody's. Every event ends up kept (some second took its label), merged (it shares its
seconds with another event of its label) or lost (no second took its label), and the lost ones
are listed with their times: nothing disappears unreported. Ties and overlaps are noted. Every
check that can fail does so before anything is returned, naming the file and the line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..conventions import BACKGROUND
from ..table import second_spans
from .base import HUMAN, Event, LabelFileError, LabelFormat
from .catalog import BY_CHOICE, VideoCatalog

# A little slack at the end: ELAN rounds to milliseconds, Label Studio to frames (1/24 s).
END_TOLERANCE = 0.05
DEFAULT_MIN_COVER = 0.5
_EPSILON = 1e-6
_MAX_NOTES = 12


@dataclass
class ReadOptions:
    """How to read files: the coverage rule, ELAN tiers to read, the video of a one-video file."""

    min_cover: float = DEFAULT_MIN_COVER  # 0.0 is "any"
    tiers: tuple[str, ...] = ()
    video: str | None = None


def parse_min_cover(text) -> float:
    """`--min-cover`: a fraction in (0, 1], or `any` (0.0)."""
    if isinstance(text, str) and text.strip().lower() == "any":
        return 0.0
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise LabelFileError(f"--min-cover {text!r}: give a fraction such as 0.5, or any") from None
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise LabelFileError(f"--min-cover {text!r}: give a fraction between 0 and 1, or any")
    return value


def min_cover_text(value: float) -> str:
    return "any" if value <= 0 else f"{value:g}"


@dataclass
class LostEvent:
    video: str
    label: str
    start: float
    end: float
    where: str
    went_to: str  # what took its seconds: "'SIL'", "background", "no label"

    def describe(self) -> str:
        return (
            f"{self.label!r} {self.start:g}–{self.end:g} s ({self.where}; went to {self.went_to})"
        )


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
    events: int = 0  # interval events in the file (per-second rows are not events)
    kept: int = 0
    merged: int = 0  # kept, but sharing their seconds with another event of their label
    lost: list[LostEvent] = field(default_factory=list)
    matches: list[str] = field(default_factory=list)  # "ref -> video (by stem)"
    sound: set[str] = field(default_factory=set)  # videos labelled as sound (audio regions)

    @property
    def lost_labels(self) -> list[str]:
        """Labels of which no second survived at all."""
        surviving = {x for v in self.videos.values() for x in v.labels if x is not None}
        return sorted({e.label for e in self.lost} - surviving)


def read_labels(
    fmt: LabelFormat, path: Path, catalog: VideoCatalog, options: ReadOptions | None = None
) -> ReadResult:
    """Parse `path` with `fmt` and lay its events over the seconds of the videos it names, with
    every event accounted for (what was kept, merged or lost)."""
    path = Path(path)
    options = options or ReadOptions()
    parsed = fmt.parse_with(path, options)
    if not parsed.videos:
        raise LabelFileError(f"{path}: names no video and holds no labels: nothing to import")
    result = ReadResult(path, fmt.name, notes=list(parsed.notes))
    if options.tiers and fmt.name != "eaf":
        result.notes.append(f"{path.name}: --tier is for ELAN files; ignored for this {fmt.title}")
    if options.video and len(parsed.videos) > 1:
        raise LabelFileError(
            f"{path}: --video names one video, but the file labels {len(parsed.videos)} "
            f"({', '.join(sorted(map(repr, parsed.videos))[:3])}…); leave --video out"
        )
    references = _match_videos(parsed, catalog, options, result)
    grouped: dict[str, list[Event]] = {name: [] for name in result.videos}
    fill_sources: dict[str, str] = {}
    for reference, name in references.items():
        fill_sources.setdefault(name, parsed.fill_sources.get(reference, HUMAN))
    result.sound = {references[r] for r in parsed.sound if r in references}
    for event in parsed.events:
        grouped[references[event.video]].append(event)
        result.label_where.setdefault(event.label, event.where)
    for name, events in grouped.items():
        video = result.videos[name]
        video.duration = catalog.duration(name, path, video.where)
        fill = BACKGROUND if parsed.fills_background else None
        laid = SecondsLayout(events, video.duration, options.min_cover, path, name)
        video.labels, video.sources = laid.labels(fill, fill_sources[name], result.notes)
        laid.account(result)
    if len(result.notes) > _MAX_NOTES:
        hidden = len(result.notes) - _MAX_NOTES
        result.notes = result.notes[:_MAX_NOTES] + [f"{path.name}: and {hidden} more notes"]
    return result


def _match_videos(parsed, catalog: VideoCatalog, options: ReadOptions, result: ReadResult):
    """{reference: project video name} of each video the file names; the matches are recorded
    in `result` (for the plan) and the videos added to it."""
    references: dict[str, str] = {}
    one_video = len(parsed.videos) == 1
    for reference, where in parsed.videos.items():
        if options.video and one_video:
            name, how = catalog.named(options.video, parsed.path), BY_CHOICE
        else:
            name, how = catalog.match_any(
                [reference] + parsed.alternatives.get(reference, []), parsed.path, where, one_video
            )
        references[reference] = name
        result.matches.append(f"{reference or parsed.path.name!r} -> {name} (by {how})")
        result.videos.setdefault(name, ReadVideo(name, 0.0, [], [], where))
    return references


def _check_event(event: Event, duration: float, seconds: int, path: Path, video: str) -> None:
    if event.second is not None:
        if not 0 <= event.second < seconds:
            raise LabelFileError(
                f"{path}: {event.where}: second {event.second} is beyond the end "
                f"of {video} ({seconds} seconds, {duration:g} s)"
            )
        return
    if not math.isfinite(event.start) or math.isnan(event.end):
        raise LabelFileError(f"{path}: {event.where}: a time is not a finite number")
    if event.start < 0 or event.end < 0:
        raise LabelFileError(
            f"{path}: {event.where}: negative time ({event.start:g}–{event.end:g} s)"
        )
    if event.end < event.start:
        raise LabelFileError(
            f"{path}: {event.where}: reversed interval: ends at {event.end:g} s "
            f"before it starts at {event.start:g} s"
        )
    if event.end > duration + END_TOLERANCE and not math.isinf(event.end):
        raise LabelFileError(
            f"{path}: {event.where}: {event.start:g}–{event.end:g} s is beyond "
            f"the end of {video} ({duration:g} s)"
        )


class SecondsLayout:
    """One video's events laid over its seconds: what covers each second, and who won it.

    (`math.inf` as an end means "to the end of the video": a whole-file label.)
    """

    def __init__(self, events: list[Event], duration: float, min_cover: float, path, video):
        self.events, self.path, self.video = events, Path(path), video
        self.min_cover = min_cover
        self.spans = second_spans(duration)
        for event in events:
            _check_event(event, duration, len(self.spans), self.path, video)
        # coverage[second] = {(label, source): (seconds covered, order of first event)}
        self.coverage: list[dict] = [{} for _ in self.spans]
        self.touched: list[list[int]] = [[] for _ in events]  # seconds each event covers
        self.intervals = []
        for order, event in enumerate(events):
            if event.second is not None:
                s0, s1 = self.spans[event.second]
                self._cover(event.second, event, s1 - s0, order)
                continue
            start, end = max(0.0, event.start), min(event.end, self.spans[-1][1])
            if end - start <= _EPSILON:
                continue
            self.intervals.append((start, end, event))
            for second in range(min(int(start), len(self.spans) - 1), len(self.spans)):
                s0, s1 = self.spans[second]
                if s0 >= end:
                    break
                overlap = min(end, s1) - max(start, s0)
                if overlap > _EPSILON:
                    self._cover(second, event, overlap, order)
        self.won: list[str | None] = []

    def _cover(self, second: int, event: Event, amount: float, order: int) -> None:
        cell = self.coverage[second]
        key = (event.label, event.source)
        covered, first = cell.get(key, (0.0, order))
        cell[key] = (covered + amount, first)
        self.touched[order].append(second)

    def labels(self, fill, fill_source, notes: list[str]):
        """(labels, sources) per second."""
        _note_overlaps(self.intervals, self.path, self.video, notes)
        labels: list[str | None] = []
        sources: list[str] = []
        for second, (s0, s1) in enumerate(self.spans):
            label, source = self._winner(second, s1 - s0, notes)
            if label is None:
                label, source = (fill, fill_source) if fill is not None else (None, "")
            labels.append(label)
            sources.append(source if label is not None else "")
        self.won = labels
        return labels, sources

    def _winner(self, second: int, length: float, notes: list[str]):
        ranked = sorted(
            ((covered, -order, key) for key, (covered, order) in self.coverage[second].items()),
            reverse=True,
        )
        if not ranked:
            return None, ""
        best_cover, _, (label, source) = ranked[0]
        if best_cover < self.min_cover * length - _EPSILON:
            return None, ""
        tied = [key[0] for covered, _, key in ranked if abs(covered - best_cover) <= _EPSILON]
        if len(set(tied)) > 1:
            notes.append(
                f"{self.path.name}: {self.video} second {second}: tie between "
                f"{', '.join(repr(t) for t in dict.fromkeys(tied))}; took {label!r}"
            )
        gap = length - sum(covered for covered, _ in self.coverage[second].values())
        if gap > _EPSILON and abs(gap - best_cover) <= _EPSILON:
            notes.append(
                f"{self.path.name}: {self.video} second {second}: tie between {label!r} and "
                f"the uncovered part; took {label!r}"
            )
        return label, source

    def account(self, result: ReadResult) -> None:
        """Count this video's events as kept, merged or lost (with what took their seconds)."""
        runs_of_kept: set[tuple[str, int]] = set()
        for order, event in enumerate(self.events):
            if event.second is not None:
                continue
            result.events += 1
            seconds = [s for s in self.touched[order] if self.won[s] == event.label]
            if seconds:
                result.kept += 1
                run = (event.label, self._run_start(seconds[0]))
                if run in runs_of_kept:
                    result.merged += 1
                runs_of_kept.add(run)
                continue
            others = [self.won[s] for s in self.touched[order]]
            went = {("no label" if x is None else repr(x)) for x in others} or {"nothing: no time"}
            result.lost.append(
                LostEvent(
                    self.video,
                    event.label,
                    event.start,
                    self.spans[-1][1] if math.isinf(event.end) else event.end,
                    event.where,
                    ", ".join(sorted(went)),
                )
            )

    def _run_start(self, second: int) -> int:
        while second > 0 and self.won[second - 1] == self.won[second]:
            second -= 1
        return second


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
