"""Importing label files into a project: what they would change (a dry run), then all of it as
human labels in one transaction.

Every file is read and checked before anything is written, so a file that fails to parse changes
nothing. The plan accounts for every event of every file: how many were kept, merged into one run
of seconds, or lost to the per-second conversion (each lost one named with its times), so nothing
disappears unreported. Labels a file gives to a model are not imported (the store keeps the model's own
predictions); a label the project does not know is refused, naming where it first appears, until
the user accepts it as a new class.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .conventions import BACKGROUND
from .formats import LabelFileError, ReadOptions, ReadResult, VideoCatalog, format_named
from .formats import guess_format
from .formats.base import HUMAN
from .formats.seconds import min_cover_text, read_labels
from .store import ProjectStore

log = logging.getLogger(__name__)
AUDIO_REGIONS_NOTE = "labelstudio-audio-regions"  # videos whose labels came in as audio regions
_LOST_SHOWN = 40  # lost events listed one by one per file; the rest are counted by label


class UnknownLabelsError(LabelFileError):
    """The files use labels the project does not know; nothing was imported."""


@dataclass
class ImportPlan:
    """What importing the files would change in the store."""

    files: list[tuple[Path, str]] = field(default_factory=list)  # (file, format)
    labels: dict[str, dict[int, str]] = field(default_factory=dict)  # video -> second -> label
    before: dict[str, dict[int, str]] = field(default_factory=dict)  # the human labels replaced
    unchanged: int = 0  # seconds the files label as a person already did
    model_seconds: int = 0  # seconds the files give to a model: not imported
    unlabelled: int = 0  # seconds of the named videos the files leave unlabelled
    new_classes: dict[str, str] = field(default_factory=dict)  # label -> "file: where"
    durations: dict[str, float] = field(default_factory=dict)  # measured here, to record
    notes: list[str] = field(default_factory=list)
    reads: list[ReadResult] = field(default_factory=list)  # per file: events kept, merged, lost
    min_cover: float = 0.5
    sound_videos: set[str] = field(default_factory=set)

    @property
    def events_lost(self) -> int:
        return sum(len(r.lost) for r in self.reads)

    @property
    def lost_labels(self) -> list[str]:
        """Labels of which some event was lost, most lost first."""
        counts: dict[str, int] = {}
        for read in self.reads:
            for event in read.lost:
                counts[event.label] = counts.get(event.label, 0) + 1
        return sorted(counts, key=lambda label: (-counts[label], label))

    def lost_summary(self) -> str:
        """One line: how many events were lost and their labels ('' when none was)."""
        if not self.events_lost:
            return ""
        counts: dict[str, int] = {}
        for read in self.reads:
            for event in read.lost:
                counts[event.label] = counts.get(event.label, 0) + 1
        return (
            f"{self.events_lost} event(s) lost to the per-second conversion (min cover "
            f"{min_cover_text(self.min_cover)}): "
            + ", ".join(f"{label!r} ×{counts[label]}" for label in self.lost_labels)
        )

    @property
    def seconds(self) -> int:
        return sum(len(s) for s in self.labels.values())

    @property
    def replaced(self) -> int:
        return sum(len(s) for s in self.before.values())

    def file_lines(self) -> list[str]:
        """Per file: its events kept, merged and lost (each lost one with its times), how its
        media were matched, and the labels of which no second is left."""
        lines = []
        for read in self.reads:
            lines.append(
                f"{read.path.name} ({read.format}): {read.events} event(s): "
                f"{read.kept} kept ({read.merged} merged with a neighbour), {len(read.lost)} lost"
            )
            lines.extend(f"  media: {match}" for match in read.matches)
            for event in read.lost[:_LOST_SHOWN]:
                lines.append(f"  lost: {event.video}: {event.describe()}")
            rest = read.lost[_LOST_SHOWN:]
            if rest:
                counts: dict[str, int] = {}
                for event in rest:
                    counts[event.label] = counts.get(event.label, 0) + 1
                lines.append(
                    f"  lost: and {len(rest)} more: "
                    + ", ".join(f"{label!r} ×{n}" for label, n in sorted(counts.items()))
                )
            if read.lost_labels:
                lines.append(
                    "  no second left of label(s): " + ", ".join(map(repr, read.lost_labels))
                )
        return lines

    def summary(self) -> list[str]:
        """Lines for the terminal or a dialog: per file, per video, then totals, new classes,
        lost events and notes."""
        lines = self.file_lines()
        for video, seconds in sorted(self.labels.items()):
            counts: dict[str, int] = {}
            for label in seconds.values():
                counts[label] = counts.get(label, 0) + 1
            shown = ", ".join(f"{label} {n} s" for label, n in sorted(counts.items()))
            replaced = len(self.before.get(video, {}))
            lines.append(
                f"  {video}: {len(seconds)} s ({shown})"
                + (f", replacing {replaced} earlier human label(s)" if replaced else "")
            )
        lines.append(
            f"{self.seconds} second(s) of {len(self.labels)} video(s) to label, "
            f"{self.unchanged} already labelled the same"
        )
        if self.model_seconds:
            lines.append(
                f"{self.model_seconds} second(s) labelled by a model in the file(s) "
                "are not imported (only human labels are)"
            )
        if self.new_classes:
            lines.append(
                "new class(es), not yet in this project: "
                + ", ".join(f"{label!r} ({where})" for label, where in self.new_classes.items())
            )
        if self.events_lost:
            lines.append(
                self.lost_summary() + "; --min-cover any keeps events shorter than a second"
            )
        lines.extend(f"note: {note}" for note in self.notes)
        return lines


def plan_import(
    store: ProjectStore,
    videos: Mapping[str, Path],
    files: Iterable,
    fmt: str | None = None,
    known_labels: Iterable[str] = (),
    probe=None,
    options: ReadOptions | None = None,
) -> ImportPlan:
    """Read every file (LabelFileError on the first problem) and work out what would change.

    `videos` maps the project's video names to their files; `known_labels` adds classes the
    caller knows (a bundle's, the palette's) to those the store already uses.
    """
    summary = store.videos()
    durations = {v: float(d) for v, d in zip(summary["video"], summary["duration"]) if pd.notna(d)}
    catalog = VideoCatalog(videos, durations, probe=probe, folder=store.folder)
    options = options or ReadOptions()
    plan = ImportPlan(min_cover=options.min_cover)
    wanted: dict[str, dict[int, tuple[str, str]]] = {}  # video -> second -> (label, file)
    label_where: dict[str, str] = {}
    for file in files:
        file = Path(file)
        form = format_named(fmt) if fmt else guess_format(file)
        result = read_labels(form, file, catalog, options)
        plan.files.append((file, form.name))
        plan.reads.append(result)
        plan.sound_videos |= result.sound
        plan.notes.extend(result.notes)
        for label, where in result.label_where.items():
            label_where.setdefault(label, f"{file}: {where}")
        for name, video in result.videos.items():
            _collect(plan, wanted.setdefault(name, {}), video, file)
    plan.durations = dict(catalog.measured)
    known = set(store.label_names()) | set(known_labels) | {BACKGROUND}
    for name, seconds in wanted.items():
        before = store.human_labels(name)
        for second, (label, file) in sorted(seconds.items()):
            if before.get(second) == label:
                plan.unchanged += 1
                continue
            plan.labels.setdefault(name, {})[second] = label
            if second in before:
                plan.before.setdefault(name, {})[second] = before[second]
            if label not in known and label not in plan.new_classes:
                plan.new_classes[label] = label_where.get(label, str(file))
    return plan


def _collect(plan: ImportPlan, seconds: dict, video, file: Path) -> None:
    for second, (label, source) in enumerate(zip(video.labels, video.sources)):
        if label is None:
            plan.unlabelled += 1
        elif source != HUMAN:
            plan.model_seconds += 1
        else:
            earlier = seconds.get(second)
            if earlier and earlier[0] != label:
                plan.notes.append(
                    f"{video.name} second {second}: {earlier[1].name} says "
                    f"{earlier[0]!r}, {file.name} says {label!r}; took the later"
                )
            seconds[second] = (label, file)


def apply_import(
    store: ProjectStore, plan: ImportPlan, add_classes: bool = False, description: str | None = None
) -> dict[str, int]:
    """Write the plan's labels as human labels in one transaction; {video: edit id}.

    UnknownLabelsError (nothing written) while the plan has new classes and `add_classes` is
    False.
    """
    if plan.new_classes and not add_classes:
        label, where = next(iter(plan.new_classes.items()))
        more = len(plan.new_classes) - 1
        raise UnknownLabelsError(
            f"{where}: unknown label {label!r}: not a class of this project"
            + (
                f" (and {more} more: {', '.join(map(repr, list(plan.new_classes)[1:4]))}"
                f"{'…' if more > 3 else ''})"
                if more
                else ""
            )
            + "; nothing imported. Add them as new classes (--add-classes) or rename them"
        )
    if not plan.labels and not plan.durations:
        return {}
    files = ", ".join(f.name for f, _ in plan.files)
    edit_ids = store.import_labels(
        plan.labels, description or f"Import {files}", durations=plan.durations
    )
    _remember_audio_regions(store, plan)
    if plan.new_classes:
        log.info("new classes from the import: %s", ", ".join(plan.new_classes))
    return edit_ids


def _remember_audio_regions(store: ProjectStore, plan: ImportPlan) -> None:
    """Videos labelled as sound in Label Studio go back out as audio regions (see export)."""
    imported = {Path(name).name for name in plan.sound_videos}
    others = {Path(name).name for name in plan.labels} - imported
    known = set(audio_region_videos(store))
    updated = (known - others) | imported
    if updated != known:
        store.set_note(AUDIO_REGIONS_NOTE, json.dumps(sorted(updated)))


def audio_region_videos(store: ProjectStore) -> list[str]:
    try:
        value = json.loads(store.note(AUDIO_REGIONS_NOTE) or "[]")
    except json.JSONDecodeError:
        return []
    return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []
