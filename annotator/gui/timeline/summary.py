"""Labels summarised per pixel column, for views where a pixel holds many seconds (the overview
strip, and the label lanes zoomed out on an hours-long video).

Rule: a column shows the event (any label but background) its seconds hold most, so a short
event in a long stretch of background still shows; else background if any of its seconds has
it; else nothing (no second in it has a label).
"""

from __future__ import annotations

import numpy as np

from ...core.conventions import BACKGROUND


def label_codes(labels: list) -> tuple[np.ndarray, list[str]]:
    """Per-second labels (None or '': no label) as integer codes (-1: none) and the names."""
    names = list(dict.fromkeys(label for label in labels if label))
    index = {name: code for code, name in enumerate(names)}
    codes = np.fromiter((index.get(label, -1) for label in labels), int, len(labels))
    return codes, names


def column_firsts(axis, count: int, duration: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(xs, firsts, stop): the whole pixel columns showing [0, duration), the first second each
    shows, and one past the last second shown. Column i holds seconds [firsts[i], firsts[i+1])
    (its own second alone when several columns share it)."""
    xs = axis.pixel_columns(duration)
    if not len(xs) or not count:
        return xs[:0], np.zeros(0, int), 0
    firsts = np.clip(np.floor(axis.time(xs)).astype(int), 0, count - 1)
    stop = min(count, max(int(firsts[-1]) + 1, int(np.ceil(axis.time(xs[-1] + 1)))))
    return xs, firsts, stop


def summarise(codes: np.ndarray, names: list[str], firsts: np.ndarray, stop: int) -> list:
    """Per column, the label by the rule above (None: nothing)."""
    if not len(firsts) or not names:
        return [None] * len(firsts)
    codes = codes[:stop]
    counts = np.stack(
        [np.add.reduceat((codes == code).astype(np.int32), firsts) for code in range(len(names))],
        axis=1,
    )
    events = counts.copy()
    if BACKGROUND in names:
        events[:, names.index(BACKGROUND)] = 0
    best = events.argmax(axis=1)
    has_event, has_any = events.max(axis=1) > 0, counts.max(axis=1) > 0
    return [
        names[b] if event else (BACKGROUND if any_ else None)
        for b, event, any_ in zip(best.tolist(), has_event.tolist(), has_any.tolist())
    ]


def column_means(values: np.ndarray, firsts: np.ndarray, stop: int) -> np.ndarray:
    """Per column, the mean of its seconds' values (NaN seconds count as 0)."""
    if not len(firsts):
        return np.zeros(0)
    values = np.nan_to_num(np.asarray(values[:stop], float))
    sums = np.add.reduceat(values, firsts)
    sizes = np.maximum(np.diff(np.append(firsts, stop)), 1)
    return np.where(np.diff(np.append(firsts, stop)) > 0, sums / sizes, values[firsts])
