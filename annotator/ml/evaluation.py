"""Held-out evaluation: per-second accuracy overall, on event seconds, per class, per modality
head, on the clips where a stream drops out, a confusion table, each with a bootstrap interval over videos;
calibration error, sound-event-detection metrics and the share of unfamiliar seconds (the
arithmetic is in metrics.py). Runs the same path as `annotate`.
Seconds nobody labelled are skipped (they are not background)."""

from __future__ import annotations

import logging

import numpy as np

from ..core.conventions import BACKGROUND
from ..core.datasets import LabelledVideo, load_spec
from ..core.errors import AnnotatorError
from . import metrics
from .bundle import ModelBundle
from .evaluation_honesty import honesty_report
from .pipeline import label_video, prepare_video

log = logging.getLogger(__name__)


def _accuracy(correct: np.ndarray) -> float | None:
    return round(float(correct.mean()), 4) if len(correct) else None


def _collect(bundle: ModelBundle, videos: list[LabelledVideo], cache, progress, cancel):
    """Per-second truth and predicted indices (event head and each modality head) per video."""
    class_index = {name: i for i, name in enumerate(bundle.classes)}
    rows, full_truths, failures = [], [], []
    for done, video in enumerate(videos, start=1):
        try:
            prepared = prepare_video(video.path, bundle, cache=cache, cancel=cancel)
        except AnnotatorError as exc:
            failures.append(str(exc))
            continue
        annotation = label_video(prepared, bundle)
        seconds = prepared.features.seconds
        labels = video.labels_for(seconds)
        labelled = np.array([label is not None for label in labels], bool)
        # Unlabelled seconds: -1 in the full-length truth the honesty report filters itself.
        full_truth = np.array(
            [-1 if label is None else class_index.get(label, -1) for label in labels]
        )
        heads = {
            name: probs.argmax(-1)[labelled] for name, probs in annotation.probabilities.items()
        }
        rows.append((video, full_truth[labelled], heads, annotation))
        full_truths.append(full_truth)
        if progress:
            progress(done, len(videos), video.path.name)
    return rows, full_truths, failures


def evaluate_videos(
    bundle: ModelBundle, videos: list[LabelledVideo], cache=None, progress=None, cancel=None
) -> dict:
    rows, full_truths, failures = _collect(bundle, videos, cache, progress, cancel)
    background = bundle.classes.index(BACKGROUND)
    truth = np.concatenate([t for _v, t, _h, _a in rows]) if rows else np.zeros(0, int)
    event = np.concatenate([h["event"] for _v, _t, h, _a in rows]) if rows else np.zeros(0, int)
    correct = truth == event
    per_class = {}
    for index, name in enumerate(bundle.classes):
        mask = truth == index
        if mask.any():
            per_class[name] = _accuracy(correct[mask])
    head_names = sorted({name for _v, _t, h, _a in rows for name in h} - {"event"})
    heads = {
        name: _accuracy(np.concatenate([h[name] == t for _v, t, h, _a in rows if name in h]))
        for name in head_names
    }
    dropout = {}
    for stream in ("audio", "visual"):
        chosen = [h["event"] == t for v, t, h, _a in rows if v.dropout == stream]
        if chosen:
            dropout[stream] = _accuracy(np.concatenate(chosen))
    any_dropout = [h["event"] == t for v, t, h, _a in rows if v.dropout]
    unknown = int((truth == -1).sum())
    return {
        "model": bundle.tag,
        "architecture": bundle.architecture,
        "videos": len(rows),
        "seconds": int(len(truth)),
        "per_second_accuracy": _accuracy(correct),
        "event_second_accuracy": _accuracy(correct[(truth != background) & (truth != -1)]),
        "per_class": per_class,
        "heads": heads,
        "dropout_clips": {
            "videos": sum(1 for v, _t, _h, _a in rows if v.dropout),
            "per_second_accuracy": _accuracy(np.concatenate(any_dropout)) if any_dropout else None,
            "by_stream": dropout,
        },
        "seconds_with_unknown_class": unknown,
        "confusion": confusion_table(truth, event, bundle.classes),
        "failures": failures,
        **honesty_report(bundle, [(v, full, a) for (v, _t, _h, a), full in zip(rows, full_truths)]),
        "confidence_ranking": confidence_ranking(
            [(full, a) for (_v, _t, _h, a), full in zip(rows, full_truths)]
        ),
    }


def confidence_ranking(scored) -> dict:
    """How well each head's confidence tells its right seconds from its wrong ones (area under
    the ROC curve) and the share of seconds on its single most common value (as the CSV
    writes it): a calibration error can be small while one value covers most seconds, and
    then the confidence shows a reviewer nothing. `scored` = [(per-second truth index, -1 where
    unknown, VideoAnnotation)]; `csv_confidence` is the fused label's confidence as written
    (lowered where a second is unfamiliar)."""
    out: dict = {}
    for head in ("event", "audio", "visual", "csv_confidence"):
        source = "event" if head == "csv_confidence" else head
        values, correct = [], []
        for truth, annotation in scored:
            if source not in annotation.probabilities:
                continue
            known = truth >= 0
            confidence = (
                annotation.table["confidence"].to_numpy(np.float64)
                if head == "csv_confidence"
                else np.asarray(annotation.confidences[head], np.float64)
            )
            values.append(confidence[known])
            correct.append(annotation.probabilities[source].argmax(1)[known] == truth[known])
        if not values:
            continue
        values, correct = np.concatenate(values), np.concatenate(correct)
        auroc = metrics.right_wrong_auroc(values, correct)
        out[head] = {
            "auroc_right_vs_wrong": None if auroc is None else round(auroc, 4),
            "largest_value_share": metrics.largest_value_share(values),
            "distinct_values": int(len(np.unique(np.round(values, 4)))),
            "seconds": int(len(values)),
        }
    return out


def confusion_table(truth: np.ndarray, predicted: np.ndarray, classes: list[str]) -> dict:
    """{true class: {predicted class: seconds}} over the classes that occur (rows and columns)."""
    table: dict = {}
    for t, p in zip(truth.tolist(), predicted.tolist()):
        row = table.setdefault(classes[t] if t >= 0 else "(unknown class)", {})
        row[classes[p]] = row.get(classes[p], 0) + 1
    return table


def evaluate(spec, bundle: ModelBundle, cache=None, progress=None, cancel=None) -> dict:
    """Evaluate on a SPEC's test split if it has one (AVE), else on all its videos."""
    labelled = load_spec(spec)
    videos = labelled.split("test") or labelled.videos
    unknown = sorted(set(labelled.classes) - set(bundle.classes))
    if unknown:
        log.warning("classes the model does not know (counted as errors): %s", ", ".join(unknown))
    report = evaluate_videos(bundle, videos, cache, progress, cancel)
    report["data"] = str(spec)
    return report


RECORDED_KEYS = (
    "per_second_accuracy",
    "event_second_accuracy",
    "heads",
    "dropout_clips",
    "per_class",
    "confusion",
    "videos",
    "seconds",
    "video_accuracy",
    "video_per_class",
)


def record_in_card(bundle: ModelBundle, report: dict) -> None:
    """Make `report` the bundle's held-out metrics (the validation split's move to training)."""
    import json

    card = dict(bundle.card)
    previous = card.get("metrics")
    if previous and "validation" in str(previous.get("data", "")):
        card.setdefault("training", {})["validation"] = previous
    card["metrics"] = {key: report[key] for key in RECORDED_KEYS if key in report}
    card["metrics"]["data"] = report.get("data", "")
    (bundle.path / "card.json").write_text(
        json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    bundle.card = card
