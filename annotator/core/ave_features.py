"""The official AVE feature files (Tian et al. 2018), read with h5py.

`audio_feature.h5` (N, 10, 128), `visual_feature.h5` (N, 10, 7, 7, 512) and `labels.h5`
(N, 10, 29, one-hot, background last) hold their array under the key `avadataset`;
`train_order.h5`, `val_order.h5` and `test_order.h5` hold the row numbers of each split under
`order`. Classes are numbered by first appearance in `Annotations.txt`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .conventions import BACKGROUND
from .datasets import parse_ave_lines
from .errors import DataSpecError
from .feature_sets import (
    AVE_EXTRACTORS,
    AVE_FEATURE_FILES,
    AVE_FILE_ORDER,
    AVE_LABELS_FILE,
    AVE_ORDER_FILES,
    FeatureSet,
    FeatureSplit,
    check_one_hot,
    index_map,
    majority_event,
    sorted_classes,
)

log = logging.getLogger(__name__)

DATA_KEY = "avadataset"
ORDER_KEY = "order"
_READ_BLOCK_ROWS = 256  # rows read at a time: bounds memory to the result plus one block


def _dataset(path: Path, key: str):
    """(file, dataset) of `key` in the h5 file; clear errors for a missing file or key."""
    import h5py

    if not path.exists():
        raise DataSpecError(f"{path}: missing")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise DataSpecError(f"{path}: not a readable HDF5 file ({exc})") from exc
    if key not in handle:
        keys = ", ".join(handle.keys()) or "none"
        handle.close()
        raise DataSpecError(f"{path}: no dataset {key!r} (it holds: {keys})")
    return handle, handle[key]


def _read_all(path: Path, key: str) -> np.ndarray:
    handle, dataset = _dataset(path, key)
    with handle:
        return dataset[()]


def _read_rows(dataset, rows: np.ndarray) -> np.ndarray:
    """dataset[rows] as float32, rows in any order, read in contiguous blocks (h5py's own fancy
    indexing wants increasing rows and is slow on thousands of them)."""
    out = np.empty((len(rows), *dataset.shape[1:]), np.float32)
    order = np.argsort(rows, kind="stable")
    position = 0
    while position < len(order):
        start = int(rows[order[position]])
        stop = min(start + _READ_BLOCK_ROWS, dataset.shape[0])
        block = dataset[start:stop]
        while position < len(order) and rows[order[position]] < stop:
            out[order[position]] = block[rows[order[position]] - start]
            position += 1
    return out


def _file_classes(root: Path, event_columns: int) -> list[str]:
    """Class names in the files' numbering: first appearance in Annotations.txt."""
    annotations = root / "Annotations.txt"
    if annotations.exists():
        names = list(dict.fromkeys(category for category, *_ in parse_ave_lines(annotations)))
        if len(names) != event_columns:
            raise DataSpecError(
                f"{annotations}: names {len(names)} classes, but "
                f"{root / AVE_LABELS_FILE} has {event_columns} event columns"
            )
        return names
    if event_columns != len(AVE_FILE_ORDER):
        raise DataSpecError(
            f"{root / AVE_LABELS_FILE}: {event_columns} event columns and no "
            "Annotations.txt to name them (AVE has 28)"
        )
    log.warning("%s: no Annotations.txt; naming classes in AVE's published order", root)
    return list(AVE_FILE_ORDER)


def _order(root: Path, split: str, videos: int) -> np.ndarray:
    path = root / AVE_ORDER_FILES[split]
    if not path.exists():
        raise DataSpecError(
            f"{path}: missing; an AVE feature folder needs "
            f"{', '.join(AVE_ORDER_FILES.values())} beside {AVE_LABELS_FILE}"
        )
    order = np.asarray(_read_all(path, ORDER_KEY)).reshape(-1)
    if order.dtype.kind == "f" and np.all(order == np.round(order)):
        order = order.astype(np.int64)
    if order.dtype.kind not in "iu":
        raise DataSpecError(f"{path}: {ORDER_KEY!r} must hold row numbers, got {order.dtype}")
    if len(order) == 0 or order.min() < 0 or order.max() >= videos:
        raise DataSpecError(
            f"{path}: row numbers must lie in 0..{videos - 1} "
            f"({AVE_LABELS_FILE} has {videos} videos)"
        )
    return order.astype(np.int64)


def _check_feature_shape(root: Path, modality: str, videos: int, seconds: int) -> None:
    path = root / AVE_FEATURE_FILES[modality]
    if not path.exists():
        return  # only the streams a model reads are needed; checked again on loading
    handle, dataset = _dataset(path, "avadataset")
    with handle:
        shape = tuple(dataset.shape)
    expected = (videos, seconds, *AVE_EXTRACTORS[modality].shape)
    if shape != expected:
        raise DataSpecError(
            f"{path}: shape {shape} disagrees with {AVE_LABELS_FILE}; expected "
            f"{expected} (videos, seconds, {modality} features)"
        )


class AveFeatureReader:
    def __init__(
        self, root: Path, second_labels: np.ndarray, video_labels: np.ndarray, orders: dict
    ):
        self.root = root
        self.second_labels = second_labels
        self.video_labels = video_labels
        self.orders = orders

    def load_split(self, feature_set: FeatureSet, split: str, modalities: tuple) -> FeatureSplit:
        rows = self.orders[split]
        arrays = {}
        for modality in modalities:
            path = self.root / AVE_FEATURE_FILES[modality]
            if not path.exists():
                raise DataSpecError(f"{path}: missing; the model's {modality} stream reads it")
            handle, dataset = _dataset(path, DATA_KEY)
            with handle:
                arrays[modality] = _read_rows(dataset, rows)
        return FeatureSplit(
            split,
            arrays.get("audio"),
            arrays.get("visual"),
            self.second_labels[rows],
            self.video_labels[rows],
        )


def open_ave_features(root) -> FeatureSet:
    """Check the folder's labels, split and feature files; arrays are read per split later."""
    root = Path(root)
    labels_path = root / AVE_LABELS_FILE
    labels = np.asarray(_read_all(labels_path, DATA_KEY))
    if labels.ndim != 3 or labels.shape[-1] < 2:
        raise DataSpecError(
            f"{labels_path}: shape {labels.shape}; expected (videos, seconds, "
            "classes + background), one-hot"
        )
    videos, seconds, columns = labels.shape
    file_order = _file_classes(root, columns - 1) + [BACKGROUND]
    classes = sorted_classes(file_order)
    hot = check_one_hot(labels, str(labels_path), "video")
    second_labels = index_map(file_order, classes)[hot]
    video_labels = majority_event(second_labels, classes.index(BACKGROUND), str(labels_path))
    orders = {split: _order(root, split, videos) for split in AVE_ORDER_FILES}
    for modality in AVE_FEATURE_FILES:
        _check_feature_shape(root, modality, videos, seconds)
    reader = AveFeatureReader(root, second_labels, video_labels, orders)
    return FeatureSet(str(root), "ave-features", classes, file_order, dict(AVE_EXTRACTORS), reader)
