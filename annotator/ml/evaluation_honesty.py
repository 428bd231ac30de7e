"""The parts of `evaluate`'s report that say how far to trust it: a bootstrap interval over
videos beside each accuracy, calibration error per head, reliability bins, the confusion
matrix, sound-event-detection metrics and the share of unfamiliar seconds. The arithmetic is
in metrics.py; this module only picks the seconds each number is about."""

from __future__ import annotations

import numpy as np

from ..core.conventions import BACKGROUND, UNFAMILIAR_WARNING_SHARE
from . import metrics


def _interval(scored, head: str = "event", where=None) -> list[float] | None:
    """95 % interval of `head`'s accuracy over the seconds `where(video, truth)` picks."""
    per_video = []
    for video, truth, annotation in scored:
        if head in annotation.probabilities:
            chosen = np.ones(len(truth), bool) if where is None else where(video, truth)
            predicted = annotation.probabilities[head].argmax(1)
            per_video.append((predicted == truth)[chosen])
    return metrics.bootstrap_interval(per_video)


def _intervals(scored, classes: list[str], heads: list[str], background: int) -> dict:
    dropped = {s for video, _t, _a in scored for s in [video.dropout] if s}
    return {
        "per_second_accuracy": _interval(scored),
        "event_second_accuracy": _interval(scored, where=lambda v, t: t != background),
        "heads": {head: _interval(scored, head) for head in heads},
        "per_class": {
            name: _interval(scored, where=lambda v, t, i=i: t == i)
            for i, name in enumerate(classes)
        },
        "dropout_clips": {
            "per_second_accuracy": _interval(
                scored, where=lambda v, t: np.full(len(t), bool(v.dropout))
            ),
            "by_stream": {
                s: _interval(scored, where=lambda v, t, s=s: np.full(len(t), v.dropout == s))
                for s in sorted(dropped)
            },
        },
    }


def _confidence_and_correct(scored, head: str):
    """The head's calibrated confidence (before unfamiliar seconds are lowered) and whether
    its label was right, over all scored seconds."""
    chosen = [(a, t) for _v, t, a in scored if head in a.probabilities]
    confidence = np.concatenate([a.confidences[head] for a, _t in chosen])
    correct = np.concatenate([a.probabilities[head].argmax(1) == t for a, t in chosen])
    return confidence, correct


def _calibration(scored, heads: list[str]) -> dict:
    """ECE of each head's calibrated confidence, and of the CSV's (familiarity-lowered)
    confidence for the fused label."""
    out = {"bins": metrics.ECE_BINS}
    for head in ("event", *heads):
        value = metrics.expected_calibration_error(*_confidence_and_correct(scored, head))
        out[head] = None if value is None else round(value, 4)
    confidence = np.concatenate([a.table["confidence"].to_numpy()[: len(t)] for _v, t, a in scored])
    correct = np.concatenate([a.probabilities["event"].argmax(1) == t for _v, t, a in scored])
    value = metrics.expected_calibration_error(confidence, correct)
    out["csv_confidence"] = None if value is None else round(value, 4)
    return out


def honesty_report(bundle, rows) -> dict:
    """The added report keys from `rows` = [(LabelledVideo, truth indices, VideoAnnotation)];
    seconds of unknown truth (-1) are left out of every number."""
    scored = []
    for video, truth, annotation in rows:
        keep = truth >= 0
        scored.append((video, truth[keep], _KeptSeconds(annotation, keep)))
    if not scored:
        return {}
    classes, background = bundle.classes, bundle.classes.index(BACKGROUND)
    heads = sorted({h for _v, _t, a in scored for h in a.probabilities} - {"event"})
    truth = np.concatenate([t for _v, t, _a in scored])
    predicted = np.concatenate([a.probabilities["event"].argmax(1) for _v, _t, a in scored])
    familiar = [a.familiarity for _v, _t, a in rows if a.familiarity is not None]
    flagged = np.concatenate([f < 1.0 for f in familiar]) if familiar else np.zeros(0, bool)
    return {
        "accuracy_intervals_95": _intervals(scored, classes, heads, background),
        "expected_calibration_error": _calibration(scored, heads),
        "reliability": {
            head: metrics.reliability_bins(*_confidence_and_correct(scored, head))
            for head in ("event", *heads)
        },
        "confusion_matrix": {
            "classes": classes,
            "counts": metrics.confusion_matrix(truth, predicted, len(classes)).tolist(),
        },
        "sound_event_detection": {
            "segment_based": metrics.segment_based(truth, predicted, background, len(classes)),
            "event_based": metrics.event_based(
                [(t, a.probabilities["event"].argmax(1), a.info.duration) for _v, t, a in rows],
                background,
                len(classes),
            ),
        },
        "familiarity": {
            "seconds_scored": int(len(flagged)),
            "unfamiliar_share": round(float(flagged.mean()), 4) if len(flagged) else None,
            "videos_warned": sum(
                1
                for _v, _t, a in rows
                if a.familiarity is not None and a.unfamiliar_share >= UNFAMILIAR_WARNING_SHARE
            ),
        },
    }


class _KeptSeconds:
    """A view of an annotation with only the seconds of known truth (same attribute names)."""

    def __init__(self, annotation, keep: np.ndarray):
        self.probabilities = {h: p[keep] for h, p in annotation.probabilities.items()}
        self.confidences = {h: c[keep] for h, c in annotation.confidences.items()}
        self.table = annotation.table[keep]
        self.familiarity = annotation.familiarity
        self.info = annotation.info
