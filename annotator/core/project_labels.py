"""A project folder as a training SPEC: the human labels in its store, nothing else.

Seconds nobody labelled stay unlabelled (None), so a half-reviewed video teaches only what a
person said about it; the model's predictions never count as truth. Accepting a prediction in
the app writes a human label, so accepted seconds do count.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from .labelled_set import LabelledSet, LabelledVideo, classes_of
from .errors import DataSpecError
from .store import (
    PROJECT_DIR_NAME,
    STORE_FILE_NAME,
    ProjectStore,
    StoreError,
    fallback_store_path,
)
from .table import count_seconds

log = logging.getLogger(__name__)


def project_store_path(spec) -> Path | None:
    """The store of a project SPEC: the store file itself, or a folder's store (inside it, or
    where the app keeps the store of a read-only folder); None when `spec` is not a project."""
    spec = Path(spec)
    if spec.is_file() and spec.name == STORE_FILE_NAME:
        return spec
    if spec.is_dir():
        for candidate in (spec / PROJECT_DIR_NAME / STORE_FILE_NAME, fallback_store_path(spec)):
            if candidate.is_file():
                return candidate
    return None


def project_folder(store_path) -> Path:
    """The video folder a store belongs to (videos are keyed relative to it)."""
    store_path = Path(store_path)
    if store_path.parent.name == PROJECT_DIR_NAME:
        return store_path.parent.parent
    try:
        with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE key='folder'").fetchone()
    except sqlite3.Error as exc:
        raise DataSpecError(f"{store_path}: cannot read the project store ({exc})") from exc
    if row is None:
        raise DataSpecError(
            f"{store_path}: the project store does not say which folder it belongs to"
        )
    return Path(row[0])


def load_project_labels(store_path) -> LabelledSet:
    """Every video of the project with at least one human-labelled second."""
    store_path = Path(store_path)
    if not store_path.is_file():  # opening would create an empty store: say so instead
        raise DataSpecError(
            f"{store_path}: no project store there (open the folder in the app "
            "and label some videos first)"
        )
    folder = project_folder(store_path)
    try:
        store = ProjectStore(store_path)
    except StoreError as exc:
        raise DataSpecError(str(exc)) from exc
    try:
        videos = []
        for row in store.videos().itertuples(index=False):
            human = store.human_labels(row.video)
            if not human:
                continue
            known = row.duration == row.duration and row.duration is not None  # not NaN
            seconds = count_seconds(row.duration) if known else max(human) + 1
            labels: list[str | None] = [None] * max(seconds, max(human) + 1)
            for second, label in human.items():
                labels[second] = label
            videos.append(LabelledVideo(folder / row.video, labels, complete=False))
    finally:
        store.close()
    log.info("%s: %d video(s) with human labels", folder, len(videos))
    labelled = LabelledSet(str(folder), videos)
    labelled.classes = classes_of(videos)
    return labelled
