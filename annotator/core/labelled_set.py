"""The labelled videos a SPEC becomes: per-second truth (None where no person labelled a
second) and, where the SPEC says so, a split and the stream that drops out (demo data only).

A module of its own so the SPEC readers (datasets, project_labels) share it without importing
each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .conventions import BACKGROUND


@dataclass
class LabelledVideo:
    path: Path
    labels: list[str | None]  # one per second, from second 0; None: not labelled
    split: str | None = None
    dropout: str = ""  # "audio", "visual" or "" (demo data's clips.csv)
    # Complete truth (demo data, AVE): seconds past the labels are background. Reviewed labels
    # (a CSV with sources, a project): seconds past them are not labelled.
    complete: bool = True

    def labels_for(self, seconds: int) -> list[str | None]:
        """Exactly `seconds` labels: extra truth is cut; missing seconds are background for
        complete truth, else unlabelled (None)."""
        fill = BACKGROUND if self.complete else None
        return (list(self.labels) + [fill] * seconds)[:seconds]

    def labelled_seconds(self) -> int:
        return sum(label is not None for label in self.labels)


@dataclass
class LabelledSet:
    source: str
    videos: list[LabelledVideo]
    classes: list[str] = field(default_factory=list)

    def split(self, name: str) -> list[LabelledVideo]:
        return [v for v in self.videos if v.split == name]


def classes_of(videos: list[LabelledVideo]) -> list[str]:
    events = sorted(
        {label for v in videos for label in v.labels if label is not None and label != BACKGROUND}
    )
    return events + [BACKGROUND]
