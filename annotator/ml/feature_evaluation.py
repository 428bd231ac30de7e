"""Evaluate a bundle on a pre-extracted feature set, with the published numbers beside ours.

Two measures, per class too:
  - per second, AVE's 29-way accuracy (background included), where the files have per-second
    truth (AVE's labels.h5; the research's pickles have one label per video);
  - per video: a per-second model's label for a video is the class of most of the seconds it
    calls an event (the research's one label per video for its own presets), against the class
    of most of the video's true event seconds (or the research's single label); a clip that is
    background throughout has no such label and is left out (counted in the report).
"""

from __future__ import annotations

import numpy as np

from ..core.conventions import BACKGROUND
from ..core.errors import BundleError
from ..core.feature_sets import (
    NO_EVENT,
    FeatureSet,
    FeatureSplit,
    per_second_inputs,
    per_second_truth,
)
from .bundle import ModelBundle
from .pipeline import head_probabilities
from .prediction import context_windows, run_windows

# The research's test accuracy, one label per video, AVE test split (402 videos); docs/research.md.
RESEARCH_VIDEO_ACCURACY = {"visual": 0.731, "audio": 0.726, "fusion": 0.856, "attention": 0.517}
# Published per-second accuracy on AVE's test split (supervised, 29-way); docs/research.md.
PUBLISHED_PER_SECOND = {
    "audio only (reported)": 0.59,
    "visual only (reported)": 0.55,
    "AVE fusion (Tian et al. 2018)": 0.714,
    "AVE audio-guided attention (Tian et al.)": 0.727,
    "CMRAN": 0.774,
    "PSP": 0.778,
    "CMBS": 0.793,
    "LAVisH (large frozen transformer)": 0.811,
    "DG-SCT (large frozen transformer)": 0.822,
}


def check_extractors(feature_set: FeatureSet, bundle: ModelBundle) -> None:
    """The bundle must have been trained on features from the same extractors as the set's."""
    trained = (bundle.feature_files or {}).get("extractors")
    where = bundle.path / "card.json"
    if not trained:
        raise BundleError(
            f"{where}: trained on videos (this tool's own features); it cannot "
            f"read {feature_set.kind} files"
        )
    for modality in bundle.modalities:
        theirs = feature_set.extractors[modality].name
        if trained.get(modality) != theirs:
            raise BundleError(
                f"{where}: its {modality} stream was trained on "
                f"{trained.get(modality)} features; {feature_set.source} holds "
                f"{theirs}"
            )


def predict_split(bundle: ModelBundle, split: FeatureSplit) -> dict:
    """The model's outputs over the split: per second (N, T, C) or, for the research's presets,
    per video (N, events)."""
    model = bundle.model()
    if bundle.per_video:
        return run_windows(model, {m: getattr(split, m) for m in bundle.modalities})
    inputs = per_second_inputs(split, bundle.modalities)
    videos, seconds = next(iter(inputs.values())).shape[:2]
    windows = context_windows(seconds, bundle.context_seconds)
    if len(windows) == 1:
        return run_windows(model, inputs)
    batch = {name: np.concatenate([a[:, s:e] for s, e in windows]) for name, a in inputs.items()}
    outputs = run_windows(model, batch)
    merged = {}
    for name, value in outputs.items():
        merged[name] = np.zeros((videos, seconds, *value.shape[2:]), np.float32)
        for index, (start, end) in enumerate(windows):
            merged[name][:, start:end] = value[index * videos : (index + 1) * videos]
    return merged


def video_labels_from_seconds(event: np.ndarray, background: int) -> np.ndarray:
    """Each video's label from per-second (N, T, C) probabilities: the class of most of the
    seconds called an event (first seen wins ties); where no second is, the likeliest event."""
    labels = np.empty(len(event), np.int64)
    for row, probabilities in enumerate(event):
        called = [int(c) for c in probabilities.argmax(-1) if c != background]
        if called:
            counts = {c: called.count(c) for c in dict.fromkeys(called)}
            labels[row] = max(counts, key=counts.get)
        else:
            summed = probabilities.sum(0)
            summed[background] = -1.0
            labels[row] = int(summed.argmax())
    return labels


def _accuracy(correct: np.ndarray) -> float | None:
    return round(float(np.mean(correct)), 4) if np.size(correct) else None


def _per_class(classes: list[str], truth: np.ndarray, correct: np.ndarray) -> dict:
    return {
        name: _accuracy(correct[truth == index])
        for index, name in enumerate(classes)
        if (truth == index).any()
    }


def _majority_share(truth: np.ndarray) -> float | None:
    return round(float(np.bincount(truth.ravel()).max() / truth.size), 4) if truth.size else None


def evaluate_split(feature_set: FeatureSet, bundle: ModelBundle, split: FeatureSplit) -> dict:
    check_extractors(feature_set, bundle)
    classes, background = bundle.classes, bundle.classes.index(BACKGROUND)
    if classes != feature_set.classes:
        raise BundleError(
            f"{bundle.path / 'card.json'}: its classes differ from those of {feature_set.source}"
        )
    outputs = predict_split(bundle, split)
    video_truth = split.video_labels
    report = {
        "model": bundle.tag,
        "architecture": bundle.architecture,
        "output": "per-video" if bundle.per_video else "per-second",
        "data": feature_set.source,
        "kind": feature_set.kind,
        "split": split.name,
        "videos": len(split),
        "seconds": None,
        "per_second_accuracy": None,
        "event_second_accuracy": None,
        "per_class": {},
        "heads": {},
        "notes": [],
    }
    if bundle.per_video:
        video_predicted = outputs["event"].argmax(-1)
        report["notes"].append(
            "one label per video (the research's preset): no per-second accuracy"
        )
    else:
        event = outputs["event"]
        video_predicted = video_labels_from_seconds(event, background)
        report["seconds"] = int(event.shape[0] * event.shape[1])
        if feature_set.per_second_truth:
            truth = per_second_truth(split)
            correct = event.argmax(-1) == truth
            report["per_second_accuracy"] = _accuracy(correct)
            report["event_second_accuracy"] = _accuracy(correct[truth != background])
            report["per_class"] = _per_class(classes, truth, correct)
            report["heads"] = {
                name: _accuracy(probabilities.argmax(-1) == truth)
                for name, probabilities in head_probabilities(bundle, outputs).items()
                if name != "event"
            }
            report["majority_baseline_per_second"] = _majority_share(truth)
        else:
            report["notes"].append(
                "the research's pickles carry one label per video: "
                "per-second accuracy cannot be measured on them"
            )
    has_event = video_truth != NO_EVENT  # a clip that is background throughout has no label
    video_correct = (video_predicted == video_truth)[has_event]
    report["video_accuracy"] = _accuracy(video_correct)
    report["video_per_class"] = _per_class(classes, video_truth[has_event], video_correct)
    report["majority_baseline_video"] = _majority_share(video_truth[has_event])
    report["videos_without_event"] = int((~has_event).sum())
    report["published"] = {
        "research_video_accuracy": RESEARCH_VIDEO_ACCURACY.get(bundle.architecture),
        "per_second_accuracy": PUBLISHED_PER_SECOND,
    }
    report["failures"] = []
    return report


def evaluate_feature_set(feature_set: FeatureSet, bundle: ModelBundle, split: str = "test") -> dict:
    """Evaluate on the set's test split (or `split`)."""
    check_extractors(feature_set, bundle)
    return evaluate_split(feature_set, bundle, feature_set.load_split(split, bundle.modalities))
