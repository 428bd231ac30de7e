"""The research's own feature pickles: `trainSet_visual.p` (N, 10, 1920) DenseNet201,
`trainSet_audio.p` (N, 10, 12, 8, 512) VGGish conv4, `trainSet_target.p` (N, 28) one label per
video in alphabetical class order, and the `valSet_*` / `testSet_*` twins.

A pickle can run any code when it is loaded, so these are read only when the user says they
trust them (`--trust-pickles`).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from .conventions import BACKGROUND
from .errors import DataSpecError
from .feature_sets import (
    RESEARCH_EXTRACTORS,
    RESEARCH_ORDER,
    RESEARCH_PICKLE_SETS,
    RESEARCH_STREAMS,
    FeatureSet,
    FeatureSplit,
    check_one_hot,
    index_map,
    sorted_classes,
)

TRUST_FLAG = "--trust-pickles"


def pickle_path(root: Path, split: str, stream: str) -> Path:
    return root / f"{RESEARCH_PICKLE_SETS[split]}_{stream}.p"


def _unpickle(path: Path) -> np.ndarray:
    if not path.exists():
        raise DataSpecError(
            f"{path}: missing; the research's pickles come as "
            "{trainSet,valSet,testSet}_{visual,audio,target}.p"
        )
    try:
        with open(path, "rb") as handle:
            value = pickle.load(handle)  # only ever reached with the user's --trust-pickles
        return np.asarray(value)
    except Exception as exc:  # a damaged pickle raises many types
        raise DataSpecError(f"{path}: cannot be unpickled ({type(exc).__name__}: {exc})") from exc


class ResearchPickleReader:
    def __init__(self, root: Path, video_labels: dict):
        self.root = root
        self.video_labels = video_labels

    def load_split(self, feature_set: FeatureSet, split: str, modalities: tuple) -> FeatureSplit:
        labels = self.video_labels[split]
        arrays = {}
        for modality in modalities:
            path = pickle_path(self.root, split, modality)
            array = _unpickle(path)
            expected = (len(labels), *RESEARCH_EXTRACTORS[modality].shape)
            if array.ndim != len(expected) + 1 or (array.shape[0], *array.shape[2:]) != expected:
                raise DataSpecError(
                    f"{path}: shape {array.shape} disagrees with "
                    f"{pickle_path(self.root, split, 'target').name}; expected "
                    f"({len(labels)}, seconds, {', '.join(map(str, expected[1:]))})"
                )
            arrays[modality] = array.astype(np.float32, copy=False)
        if len(arrays) == 2 and arrays["audio"].shape[1] != arrays["visual"].shape[1]:
            raise DataSpecError(
                f"{self.root}: {split} audio has {arrays['audio'].shape[1]} "
                f"seconds per video, visual {arrays['visual'].shape[1]}"
            )
        return FeatureSplit(split, arrays.get("audio"), arrays.get("visual"), None, labels)


def open_research_pickles(root, trust_pickles: bool = False) -> FeatureSet:
    """Check that all nine pickles are there and read the targets (the features come later)."""
    root = Path(root)
    if not trust_pickles:
        raise DataSpecError(
            f"{root}: holds the research's pickles; a pickle can run any code "
            f"when loaded, so they are read only with {TRUST_FLAG} (give it only "
            "for files you made or trust)"
        )
    missing = [
        pickle_path(root, split, stream).name
        for split in RESEARCH_PICKLE_SETS
        for stream in RESEARCH_STREAMS
        if not pickle_path(root, split, stream).exists()
    ]
    if missing:
        raise DataSpecError(
            f"{root}: missing {', '.join(missing)} (the research's pickles come "
            "as {trainSet,valSet,testSet}_{visual,audio,target}.p)"
        )
    file_order = list(RESEARCH_ORDER)
    classes = sorted_classes(file_order)
    mapping = index_map(file_order, classes)
    video_labels = {}
    for split in RESEARCH_PICKLE_SETS:
        path = pickle_path(root, split, "target")
        target = _unpickle(path)
        if target.ndim != 2 or target.shape[1] != len(file_order):
            raise DataSpecError(
                f"{path}: shape {target.shape}; expected (videos, "
                f"{len(file_order)}) one-hot in alphabetical class order"
            )
        video_labels[split] = mapping[check_one_hot(target, str(path), "video")]
    return FeatureSet(
        str(root),
        "research-pickles",
        classes,
        file_order + [BACKGROUND],
        dict(RESEARCH_EXTRACTORS),
        ResearchPickleReader(root, video_labels),
    )
