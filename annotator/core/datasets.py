"""Training and evaluation SPECs: a demo-data folder, an AVE root, an annotations CSV, or a
project folder (its store's human labels, read in project_labels).
(Folders of pre-extracted features are SPECs of their own kind: core/feature_sets.py.)

Each becomes a `LabelledSet`: videos with per-second truth labels and, where the SPEC says so,
a split (train / val / test) and the stream that drops out during the event (demo data only).
Class names, not indices, are the truth: classes are sorted by name, background last.

A second no person labelled is `None` (unlabelled): training gives it no weight and evaluation
skips it. It is never counted as background, which is a label a person gives.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from .conventions import BACKGROUND
from .csv_io import read_per_second_csv
from .errors import DataSpecError
from .feature_sets import feature_folder_kind
from .labelled_set import LabelledSet, LabelledVideo, classes_of
from .project_labels import load_project_labels, project_store_path

# LabelledSet, LabelledVideo and classes_of live in labelled_set (project_labels needs them
# without the SPEC readers); they are imported here too, where callers have always found them.
__all__ = ["LabelledSet", "LabelledVideo", "classes_of", "load_spec"]

log = logging.getLogger(__name__)

AVE_SPLIT_FILES = {"train": "trainSet.txt", "val": "valSet.txt", "test": "testSet.txt"}
AVE_HEADER = "Category&VideoID&Quality&StartTime&EndTime"


def load_spec(spec) -> LabelledSet:
    """Read any SPEC; DataSpecError with a clear reason if it is none of the three kinds."""
    spec = Path(spec)
    if not spec.exists():
        raise DataSpecError(f"{spec}: no such file or folder")
    kind = feature_folder_kind(spec)
    if kind:  # checked before Annotations.txt: copies keep it beside the feature files
        raise DataSpecError(
            f"{spec}: holds pre-extracted features ({kind}), not videos; "
            "train and evaluate read it as a feature set"
        )
    if spec.is_dir() and (spec / "Annotations.txt").exists():
        labelled = load_ave_root(spec)
    elif spec.is_dir() and (spec / "labels.csv").exists():
        labelled = load_annotations_csv(spec / "labels.csv")
    elif spec.is_file() and spec.suffix.lower() == ".csv":
        labelled = load_annotations_csv(spec)
    elif project_store_path(spec) is not None:
        labelled = load_project_labels(project_store_path(spec))
    else:
        raise DataSpecError(
            f"{spec}: not a SPEC: expected a folder with labels.csv (demo-data), "
            "an AVE root with Annotations.txt, a per-second annotations CSV, "
            "or a project folder with labelled videos"
        )
    if not labelled.videos:
        raise DataSpecError(
            f"{spec}: holds no labelled videos (only seconds a person labelled "
            "count: source=human rows, or a project's human labels)"
        )
    labelled.classes = classes_of(labelled.videos)
    return labelled


def load_annotations_csv(csv_path) -> LabelledSet:
    """Per-second CSV rows (video paths relative to the CSV) as labelled videos.

    Only what a person said is truth: rows with source=human (or no source at all, as in a
    hand-written file). Rows with source=model, and seconds without a row, are unlabelled
    (masked in training, skipped in evaluation); a video with no truth row is left out.
    """
    csv_path = Path(csv_path)
    table = read_per_second_csv(csv_path)
    truth = table["source"].str.strip().isin(("human", ""))
    masked = int((~truth).sum())
    if masked:
        log.info(
            "%s: %d row(s) not labelled by a person (source=model) are masked", csv_path, masked
        )
    table = table[truth]
    dropouts = _read_dropouts(csv_path.parent / "clips.csv")
    videos = []
    for name, rows in table.groupby("video", sort=False):
        rows = rows.sort_values("second")
        labels: list[str | None] = [None] * (int(rows["second"].max()) + 1)
        for second, label in zip(rows["second"], rows["label"]):
            labels[int(second)] = label or BACKGROUND
        path = Path(name) if Path(name).is_absolute() else csv_path.parent / name
        videos.append(
            LabelledVideo(
                path,
                labels,
                None,
                dropouts.get(name, ""),
                complete=not masked and None not in labels,
            )
        )
    return LabelledSet(str(csv_path), videos)


def _read_dropouts(clips_csv: Path) -> dict:
    if not clips_csv.exists():
        return {}
    clips = pd.read_csv(clips_csv, dtype=str, keep_default_na=False)
    if "dropout_stream" not in clips.columns:
        return {}
    return dict(zip(clips["video"], clips["dropout_stream"]))


def parse_ave_lines(path: Path) -> list[tuple[str, str, int, int]]:
    """(category, video id, start, end) per line of an AVE annotation file; header skipped."""
    rows = []
    text = path.read_text(encoding="utf-8-sig")
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.replace(" ", "") == AVE_HEADER.replace(" ", ""):
            continue
        parts = line.split("&")
        if len(parts) != 5:
            raise DataSpecError(
                f"{path}:{number}: expected Category&VideoID&Quality&Start&End, got {line!r}"
            )
        category, video_id, _quality, start, end = parts
        try:
            rows.append((category.strip(), video_id.strip(), int(start), int(end)))
        except ValueError as exc:
            raise DataSpecError(
                f"{path}:{number}: start/end are not whole seconds: {line!r}"
            ) from exc
    return rows


def load_ave_root(root) -> LabelledSet:
    """An AVE root: Annotations.txt, the split files, and the clips in AVE/<VideoID>.mp4."""
    root = Path(root)
    events: dict[str, list[tuple[str, int, int]]] = {}
    for category, video_id, start, end in parse_ave_lines(root / "Annotations.txt"):
        events.setdefault(video_id, []).append((category, start, end))
    splits = {}
    for split, filename in AVE_SPLIT_FILES.items():
        if (root / filename).exists():
            for _c, video_id, _s, _e in parse_ave_lines(root / filename):
                splits[video_id] = split
    videos = []
    for video_id, spans in events.items():
        length = max(10, max(end for _c, _s, end in spans))
        labels = [BACKGROUND] * length
        for category, start, end in spans:
            for second in range(max(0, start), end):
                labels[second] = category
        videos.append(LabelledVideo(root / "AVE" / f"{video_id}.mp4", labels, splits.get(video_id)))
    return LabelledSet(str(root), videos)
