"""Exporting labels in any format: a project's reviewed labels or a per-second CSV's rows.

A project exports what its store holds: a person's label where there is one, the model's
elsewhere; a second neither labelled stays unlabelled (event lists then leave it out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .csv_io import read_per_second_csv
from .errors import AnnotatorError
from .formats import LabelFileError, VideoLabels, format_named
from .formats.base import HUMAN, MODEL, ExportOptions, per_video_paths
from .store import ProjectStore, StoreError
from .table import count_seconds


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # nothing known about them yet
    not_written: list[str] = field(default_factory=list)  # no events (one file per video)

    def summary(self) -> str:
        text = f"exported {len(self.videos)} video(s) to {len(self.files)} file(s)"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} with no labels yet"
        if self.not_written:
            text += (
                f"; {len(self.not_written)} video(s) with no events get no file "
                f"({', '.join(self.not_written[:3])}{'…' if len(self.not_written) > 3 else ''})"
            )
        return text


def labels_from_table(path: Path, table) -> VideoLabels:
    """A reviewed per-second table as VideoLabels; rows no one labelled (source model without a
    model name: the store's filler) are unlabelled."""
    table = table.sort_values("second").reset_index(drop=True)
    duration = float(table["end"].iloc[-1])
    unlabelled = (table["source"] != HUMAN) & (table["model"].fillna("") == "")
    labels = [None if u else str(x) for x, u in zip(table["label"], unlabelled)]
    sources = [
        "" if u else (HUMAN if s == HUMAN else MODEL) for s, u in zip(table["source"], unlabelled)
    ]
    models = sorted(set(table.loc[~unlabelled & (table["source"] != HUMAN), "model"]))
    return VideoLabels(
        path, duration, labels, sources, table, models[0] if len(models) == 1 else ""
    )


def videos_of_store(
    store: ProjectStore, names: list[str], paths: Mapping[str, Path], result: ExportResult
) -> list[VideoLabels]:
    """The reviewed labels of `names` (paths: name -> media file); unlabelled videos skipped."""
    videos = []
    for name in names:
        table = store.reviewed_table(name)
        if table.empty:
            result.skipped.append(name)
            continue
        videos.append(labels_from_table(Path(paths[name]), table))
        result.videos.append(name)
    return videos


def videos_of_csv(csv_path: Path, result: ExportResult) -> list[VideoLabels]:
    """The rows of a per-second CSV, per video (video paths are relative to the CSV)."""
    table = read_per_second_csv(csv_path)
    videos = []
    for name, rows in table.groupby("video", sort=False):
        rows = rows.sort_values("second")
        ends = rows["end"].astype(float)
        duration = (
            float(ends.max())
            if ends.notna().all() and len(ends)
            else float(rows["second"].max() + 1)
        )
        n = count_seconds(duration)
        if int(rows["second"].max()) >= n or int(rows["second"].min()) < 0:
            raise LabelFileError(
                f"{csv_path}: {name}: seconds run past its last end ({duration:g} s)"
            )
        labels: list[str | None] = [None] * n
        sources = [""] * n
        for second, label, source in zip(rows["second"], rows["label"], rows["source"]):
            if label:
                labels[int(second)] = label
                sources[int(second)] = HUMAN if source == HUMAN else MODEL
        full = (
            rows if len(rows) == n and (rows["second"].to_numpy() == np.arange(n)).all() else None
        )
        path = Path(name) if Path(name).is_absolute() else Path(csv_path).parent / name
        models = sorted({m for m in rows["model"] if m})
        videos.append(
            VideoLabels(
                path, duration, labels, sources, full, models[0] if len(models) == 1 else ""
            )
        )
        result.videos.append(str(name))
    return videos


def export_labels(
    source, fmt: str, out, names: list[str] | None = None, literal_labels: bool = False
) -> ExportResult:
    """Export a project folder's store (or a per-second CSV) to `out` in format `fmt`.
    `literal_labels`: write labels starting with = + - @ as they are in .tsv files."""
    source, out = Path(source), Path(out)
    form = format_named(fmt)
    result = ExportResult()
    options = ExportOptions(literal_labels=literal_labels)
    if source.is_dir():
        try:
            store = ProjectStore.for_folder(source)
        except StoreError as exc:
            raise AnnotatorError(f"{source}: cannot open its project ({exc})") from exc
        try:
            names = names if names is not None else list(store.videos()["video"])
            videos = videos_of_store(store, names, {n: source / n for n in names}, result)
            options = export_options(store, literal_labels)
        finally:
            store.close()
    elif source.is_file():
        videos = videos_of_csv(source, result)
    else:
        raise AnnotatorError(f"{source}: no such folder or CSV")
    return write_videos(form.name, videos, out, result, options)


def export_options(store: ProjectStore, literal_labels: bool = False) -> ExportOptions:
    """The project's export options: its audio-region videos (see label_import)."""
    from .label_import import audio_region_videos

    return ExportOptions(literal_labels, frozenset(audio_region_videos(store)))


def write_videos(
    fmt: str,
    videos: list[VideoLabels],
    out: Path,
    result: ExportResult | None = None,
    options: ExportOptions | None = None,
) -> ExportResult:
    result = result or ExportResult([], [v.path.name for v in videos])
    if not videos:
        raise AnnotatorError("nothing to export: no video has labels yet")
    form = format_named(fmt)
    result.files = form.write_with(videos, Path(out), options or ExportOptions())
    if form.one_file_per_video:
        written = set(result.files)
        result.not_written = [
            v.path.name
            for v, path in zip(videos, per_video_paths(videos, Path(out), form.suffix))
            if path not in written
        ]
    return result
