"""Tiny feature sets in the exact formats of AVE's h5 files and the research's pickles.

Shapes, keys, dtypes and class orders are the real ones; only the number of videos is small.
Every video holds one event class (a run of seconds, background around it, as in AVE), and the
features carry a learnable signal: each class has its own channel pattern per stream, under
noise, so a model that learns anything beats chance clearly.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from annotator.core.feature_sets import AVE_FILE_ORDER, RESEARCH_ORDER

# The fixture's classes: far apart in both numberings, so a mix-up of orders shows.
FIXTURE_CLASSES = ("Accordion", "Church bell", "Truck", "Mandolin")
SECONDS = 10


def _events(videos: int, rng) -> tuple[list[str], np.ndarray]:
    """(class name per video, (videos, SECONDS) 0/1 event mask); a third are events throughout."""
    names = [FIXTURE_CLASSES[i % len(FIXTURE_CLASSES)] for i in range(videos)]
    rng.shuffle(names)
    mask = np.zeros((videos, SECONDS), bool)
    for row in range(videos):
        if row % 3 == 0:
            mask[row] = True
        else:
            start = int(rng.integers(0, 5))
            mask[row, start : start + int(rng.integers(3, SECONDS - start + 1))] = True
    return names, mask


def _patterns(channels: int, rng) -> dict:
    """Each class's channel pattern (background has its own), the same in every split."""
    return {
        name: rng.normal(0, 1, channels).astype(np.float32)
        for name in (*FIXTURE_CLASSES, "background")
    }


def _stream(
    shape: tuple,
    names: list[str],
    mask: np.ndarray,
    rng,
    patterns: dict | None = None,
    strength=1.5,
) -> np.ndarray:
    """(videos, SECONDS, *shape) float32: each second's class pattern over non-negative noise."""
    patterns = patterns or _patterns(shape[-1], rng)
    out = np.abs(rng.normal(0, 1, (len(names), SECONDS, *shape))).astype(np.float32)
    for row, name in enumerate(names):
        for second in range(SECONDS):
            label = name if mask[row, second] else "background"
            out[row, second] += strength * np.maximum(patterns[label], 0)
    return out


def write_ave_features(
    root, videos: int = 40, seed: int = 0, class_order=None, annotations: bool = True
) -> dict:
    """AVE's feature folder: audio_feature.h5 (N,10,128), visual_feature.h5 (N,10,7,7,512),
    labels.h5 (N,10,29) one-hot with background last, {train,val,test}_order.h5, and
    Annotations.txt whose first appearances give `class_order` (default AVE's own).
    Returns the truth: {'names': class per video, 'mask': event seconds, 'splits': rows}."""
    import h5py

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    order = list(class_order or AVE_FILE_ORDER)
    names, mask = _events(videos, rng)
    labels = np.zeros((videos, SECONDS, len(order) + 1), np.float64)
    for row, name in enumerate(names):
        labels[row, mask[row], order.index(name)] = 1.0
        labels[row, ~mask[row], len(order)] = 1.0
    arrays = {
        "audio_feature.h5": _stream((128,), names, mask, rng),
        "visual_feature.h5": _stream((7, 7, 512), names, mask, rng),
        "labels.h5": labels,
    }
    for filename, array in arrays.items():
        with h5py.File(root / filename, "w") as handle:
            handle.create_dataset("avadataset", data=array)
    rows = rng.permutation(videos)
    n_test = n_val = max(2, videos // 5)
    splits = {
        "test": rows[:n_test],
        "val": rows[n_test : n_test + n_val],
        "train": rows[n_test + n_val :],
    }
    for split, chosen in splits.items():
        with h5py.File(root / f"{split}_order.h5", "w") as handle:
            handle.create_dataset("order", data=chosen.astype(np.int64))
    if annotations:
        lines = ["Category&VideoID&Quality&StartTime&EndTime"]
        lines += [f"{name}&v{index:04d}&good&0&10" for index, name in enumerate(order)]
        (root / "Annotations.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"names": names, "mask": mask, "splits": splits}


def write_research_pickles(root, videos_per_split=(12, 4, 16), seed: int = 1) -> dict:
    """The research's pickles: {trainSet,valSet,testSet}_visual.p (N,10,1920) DenseNet201,
    _audio.p (N,10,12,8,512) VGGish conv4, _target.p (N,28) one-hot, alphabetical classes.
    Returns the class name of each video per split."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    visual_patterns, audio_patterns = _patterns(1920, rng), _patterns(512, rng)
    truth = {}
    for split, videos in zip(("trainSet", "valSet", "testSet"), videos_per_split):
        names, _ = _events(videos, rng)
        full = np.ones((videos, SECONDS), bool)  # the research labelled whole videos
        target = np.zeros((videos, len(RESEARCH_ORDER)), np.float32)
        target[np.arange(videos), [RESEARCH_ORDER.index(n) for n in names]] = 1.0
        for stream, array in (
            ("visual", _stream((1920,), names, full, rng, visual_patterns)),
            ("audio", _stream((12, 8, 512), names, full, rng, audio_patterns)),
            ("target", target),
        ):
            with open(root / f"{split}_{stream}.p", "wb") as handle:
                pickle.dump(array, handle, protocol=4)
        truth[split] = names
    return truth
