"""The per-second table: one row per second of a video, as contracted in README.md ("Output files").

A table is a pandas DataFrame with exactly PER_SECOND_COLUMNS. Functions here build it from
model probabilities and merge it into segments; nothing here reads or writes files.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .conventions import BACKGROUND

PER_SECOND_COLUMNS = [
    "video",
    "second",
    "start",
    "end",
    "label",
    "confidence",
    "audio_label",
    "audio_confidence",
    "visual_label",
    "visual_confidence",
    "model",
    "source",
]
SEGMENT_COLUMNS = ["video", "label", "start", "end", "confidence", "source"]

# Durations are rounded to the millisecond so a 7.4 s video has 8 rows, not 9 for 7.4000001.
_TIME_DECIMALS = 3


def count_seconds(duration: float) -> int:
    """Rows a video of this duration gets: its duration rounded up to whole seconds (at least 1)."""
    duration = round(float(duration), _TIME_DECIMALS)
    return max(1, math.ceil(duration))


def second_spans(duration: float) -> list[tuple[float, float]]:
    """(start, end) of each second; the last one ends at the video's duration."""
    duration = round(float(duration), _TIME_DECIMALS)
    n = count_seconds(duration)
    spans = [(float(s), float(s + 1)) for s in range(n)]
    last_start = spans[-1][0]
    spans[-1] = (last_start, max(duration, last_start))
    return spans


def per_second_table(
    video: str,
    duration: float,
    labels,
    confidences,
    *,
    audio=None,
    visual=None,
    model: str = "",
    source: str = "model",
) -> pd.DataFrame:
    """The contracted rows of one video: every per-second table is built here.

    `labels`/`confidences` have one value per second of `duration`; `audio`/`visual` are the
    (labels, confidences) of the model's own per-modality heads, or None where the model or the
    video lacks that modality (empty labels, NaN confidences).
    """
    spans = second_spans(duration)
    n = len(spans)
    if len(labels) != n:
        raise ValueError(f"{video}: {len(labels)} labels for {n} seconds")
    a_label, a_conf = audio if audio is not None else ([""] * n, [np.nan] * n)
    v_label, v_conf = visual if visual is not None else ([""] * n, [np.nan] * n)
    frame = pd.DataFrame(
        {
            "video": [video] * n,
            "second": np.arange(n, dtype=np.int64),
            "start": [s for s, _ in spans],
            "end": [e for _, e in spans],
            "label": list(labels),
            "confidence": confidences,
            "audio_label": a_label,
            "audio_confidence": a_conf,
            "visual_label": v_label,
            "visual_confidence": v_conf,
            "model": [model] * n,
            "source": [source] * n,
        }
    )
    return frame[PER_SECOND_COLUMNS]


def _labels_and_confidences(probs, classes):
    """Arg-max label and its probability per row, or None where probs is None."""
    if probs is None:
        return None
    probs = np.asarray(probs, dtype=np.float64)
    best = probs.argmax(axis=1)
    return [classes[i] for i in best], probs[np.arange(len(best)), best]


def build_table(
    video: str,
    duration: float,
    classes: list[str],
    probs,
    audio_probs=None,
    visual_probs=None,
    model: str = "",
    source: str = "model",
) -> pd.DataFrame:
    """A per-second table from (seconds, classes) probability arrays.

    `probs` must have one row per second of `duration`; `audio_probs`/`visual_probs` are the
    model's own per-modality heads, or None where the model or the video lacks that modality.
    """
    probs = np.asarray(probs)
    seconds = count_seconds(duration)
    if len(probs) != seconds:
        raise ValueError(f"{video}: {len(probs)} probability rows for {seconds} seconds")
    label, conf = _labels_and_confidences(probs, classes)
    return per_second_table(
        video,
        duration,
        label,
        conf,
        model=model,
        source=source,
        audio=_labels_and_confidences(audio_probs, classes),
        visual=_labels_and_confidences(visual_probs, classes),
    )


def truth_table(video: str, duration: float, labels: list[str], model: str = "") -> pd.DataFrame:
    """A human-labelled table (confidence 1, source=human), e.g. demo-data ground truth."""
    return per_second_table(
        video, duration, labels, [1.0] * len(labels), model=model, source="human"
    )


def main_label(labels) -> str:
    """A video's main label: its most frequent non-background label ('background' when every
    second is background, '' when no second has a label yet)."""
    labels = list(labels)
    if not labels:
        return ""
    events = pd.Series([label for label in labels if label != BACKGROUND], dtype=object)
    return str(events.mode().iloc[0]) if len(events) else BACKGROUND


def segments_from_table(table: pd.DataFrame) -> pd.DataFrame:
    """Merge runs of equal non-background labels (per video, in time order) into segments.

    A segment's confidence is the mean confidence of its seconds; its source is `human` if any
    of its seconds was set by a person.
    """
    rows = []
    for video, group in table.groupby("video", sort=False):
        group = group.sort_values("second")
        run: list = []
        for row in group.itertuples(index=False):
            if run and (row.label != run[-1].label or row.second != run[-1].second + 1):
                rows.extend(_segment(video, run))
                run = []
            run.append(row)
        rows.extend(_segment(video, run))
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)


def _segment(video, run) -> list[dict]:
    if not run or run[0].label == BACKGROUND or run[0].label == "":
        return []
    sources = {r.source for r in run}
    return [
        {
            "video": video,
            "label": run[0].label,
            "start": run[0].start,
            "end": run[-1].end,
            "confidence": float(np.mean([r.confidence for r in run])),
            "source": "human" if "human" in sources else "model",
        }
    ]
