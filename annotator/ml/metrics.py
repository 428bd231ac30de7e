"""The arithmetic behind `evaluate`'s honesty numbers: calibration error, reliability bins,
bootstrap intervals over videos, the confusion matrix, and the sound-event-detection metrics
researchers expect (segment-based and event-based, as sed_eval defines them).

Pure numpy on per-second arrays; nothing here runs a model or reads a file.
"""

from __future__ import annotations

import numpy as np

ECE_BINS = 15
BOOTSTRAP_SAMPLES = 1000
# sed_eval's defaults for event-based evaluation (DCASE): onsets within 200 ms, offsets within
# 200 ms or half the reference event's length, whichever is longer.
EVENT_COLLAR_SECONDS = 0.2
EVENT_OFFSET_LENGTH_FRACTION = 0.5


def reliability_bins(confidence, correct, bins: int = ECE_BINS) -> list[dict]:
    """Equal-width confidence bins: count, mean confidence and accuracy of each non-empty bin."""
    confidence = np.asarray(confidence, np.float64)
    correct = np.asarray(correct, bool)
    # A confidence of exactly 1.0 belongs to the last bin, not a 16th.
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        chosen = index == b
        if chosen.any():
            out.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "count": int(chosen.sum()),
                    "confidence": float(confidence[chosen].mean()),
                    "accuracy": float(correct[chosen].mean()),
                }
            )
    return out


def expected_calibration_error(confidence, correct, bins: int = ECE_BINS) -> float | None:
    """Sum over bins of (share of seconds) x |accuracy - mean confidence|; None with no seconds."""
    total = len(confidence)
    if not total:
        return None
    return float(
        sum(
            b["count"] / total * abs(b["accuracy"] - b["confidence"])
            for b in reliability_bins(confidence, correct, bins)
        )
    )


def right_wrong_auroc(confidence, correct) -> float | None:
    """Area under the ROC curve of telling right seconds from wrong ones by confidence: the
    chance that a random right second has a higher confidence than a random wrong one (ties
    count half). 0.5 is no better than chance; None without both kinds of seconds."""
    confidence = np.asarray(confidence, np.float64)
    correct = np.asarray(correct, bool)
    right, wrong = int(correct.sum()), int((~correct).sum())
    if not right or not wrong:
        return None
    # Mann-Whitney U from average ranks (ties share their rank).
    order = np.argsort(confidence, kind="stable")
    ranks = np.empty(len(confidence))
    sorted_values = confidence[order]
    starts = np.flatnonzero(np.concatenate([[True], np.diff(sorted_values) != 0]))
    ends = np.concatenate([starts[1:], [len(sorted_values)]])
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2  # 1-based average rank
    u = ranks[correct].sum() - right * (right + 1) / 2
    return float(u / (right * wrong))


def largest_value_share(confidence, decimals: int = 4) -> float | None:
    """The share of seconds holding the single most common confidence value, as the CSV
    writes it (to `decimals` places): near 1 means confidence cannot rank those seconds."""
    confidence = np.round(np.asarray(confidence, np.float64), decimals)
    if not len(confidence):
        return None
    return float(np.unique(confidence, return_counts=True)[1].max() / len(confidence))


def bootstrap_interval(
    per_video_correct: list, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0, level: float = 0.95
) -> list[float] | None:
    """Percentile interval of the pooled per-second accuracy when whole videos are resampled.

    Seconds of one video are not independent (one event per clip), so videos are the unit."""
    per_video = [np.asarray(c, bool) for c in per_video_correct if len(c)]
    if not per_video:
        return None
    hits = np.array([c.sum() for c in per_video], np.float64)
    counts = np.array([len(c) for c in per_video], np.float64)
    draws = np.random.default_rng(seed).integers(0, len(per_video), (samples, len(per_video)))
    accuracies = hits[draws].sum(1) / counts[draws].sum(1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(accuracies, [tail, 100 - tail])
    return [round(float(low), 4), round(float(high), 4)]


def confusion_matrix(truth, predicted, classes: int) -> np.ndarray:
    """Counts with truth in rows and prediction in columns; seconds of unknown truth (-1) left out."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    known = truth >= 0
    matrix = np.zeros((classes, classes), np.int64)
    np.add.at(matrix, (truth[known], predicted[known]), 1)
    return matrix


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def segment_based(truth, predicted, background: int, classes: int) -> dict:
    """sed_eval's segment-based metrics at the table's own 1 s resolution.

    Each second is a segment; a class is active in it when it is that second's label (background
    is no class). Micro: counts pooled over classes, error rate = (substitutions + deletions +
    insertions) / active reference classes. Macro: F1 and error rate (deletions + insertions)
    per class, averaged over the classes that occur in the reference."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    known = truth >= 0
    truth, predicted = truth[known], predicted[known]
    ref_active, sys_active = truth != background, predicted != background
    tp = int((ref_active & sys_active & (truth == predicted)).sum())
    # One active class per segment at most on each side, so per segment fn, fp are 0 or 1.
    fn_seg = (ref_active & ~(sys_active & (truth == predicted))).astype(int)
    fp_seg = (sys_active & ~(ref_active & (truth == predicted))).astype(int)
    fn, fp, n_ref = int(fn_seg.sum()), int(fp_seg.sum()), int(ref_active.sum())
    substitutions = int(np.minimum(fn_seg, fp_seg).sum())
    deletions = int(np.maximum(0, fn_seg - fp_seg).sum())
    insertions = int(np.maximum(0, fp_seg - fn_seg).sum())
    f1_per_class, er_per_class = [], []
    for c in range(classes):
        if c == background:
            continue
        ref_c, sys_c = truth == c, predicted == c
        tp_c = int((ref_c & sys_c).sum())
        fn_c, fp_c = int((ref_c & ~sys_c).sum()), int((sys_c & ~ref_c).sum())
        if ref_c.any():
            f1_per_class.append(_ratio(2 * tp_c, 2 * tp_c + fp_c + fn_c))
            er_per_class.append(_ratio(fn_c + fp_c, int(ref_c.sum())))
    return {
        "resolution_seconds": 1.0,
        "micro": {
            "f1": _ratio(2 * tp, 2 * tp + fp + fn),
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
            "error_rate": _ratio(substitutions + deletions + insertions, n_ref),
            "substitutions": substitutions,
            "deletions": deletions,
            "insertions": insertions,
            "reference_active": n_ref,
        },
        "macro": {"f1": _mean(f1_per_class), "error_rate": _mean(er_per_class)},
    }


def events_of(labels, background: int, duration: float | None = None) -> list[tuple]:
    """(onset, offset, class) of each run of one non-background class in per-second labels."""
    labels = list(labels)
    events, start = [], 0
    for second in range(1, len(labels) + 1):
        if second == len(labels) or labels[second] != labels[start]:
            if labels[start] != background and labels[start] >= 0:
                end = float(second) if duration is None or second < len(labels) else duration
                events.append((float(start), end, int(labels[start])))
            start = second
    return events


def _max_matching(pairs: dict[int, list[int]]) -> dict[int, int]:
    """Maximum bipartite matching (reference -> system) by augmenting paths."""
    owner: dict[int, int] = {}

    def augment(ref: int, seen: set) -> bool:
        for candidate in pairs.get(ref, []):
            if candidate not in seen:
                seen.add(candidate)
                if candidate not in owner or augment(owner[candidate], seen):
                    owner[candidate] = ref
                    return True
        return False

    for ref in pairs:
        augment(ref, set())
    return {ref: system for system, ref in owner.items()}


def _in_time(ref, est, collar: float, fraction: float) -> bool:
    offset_collar = max(collar, fraction * (ref[1] - ref[0]))
    return abs(ref[0] - est[0]) <= collar and abs(ref[1] - est[1]) <= offset_collar


def event_based(
    videos: list[tuple],
    background: int,
    classes: int,
    collar: float = EVENT_COLLAR_SECONDS,
    offset_fraction: float = EVENT_OFFSET_LENGTH_FRACTION,
) -> dict:
    """sed_eval's event-based metrics over `videos` = [(truth labels, predicted labels, duration)].

    A system event is correct when its class matches a reference event's, its onset is within
    `collar` and its offset within max(collar, offset_fraction x reference length); each event
    matches at most one other. Errors not matched by class but matched in time are
    substitutions."""
    n_ref = n_sys = correct = substitutions = 0
    per_class = np.zeros((classes, 3), np.int64)  # reference, system, correct
    for truth, predicted, duration in videos:
        refs, ests = (
            events_of(truth, background, duration),
            events_of(predicted, background, duration),
        )
        matched = _max_matching(
            {
                i: [
                    j
                    for j, e in enumerate(ests)
                    if e[2] == r[2] and _in_time(r, e, collar, offset_fraction)
                ]
                for i, r in enumerate(refs)
            }
        )
        loose_refs = [i for i in range(len(refs)) if i not in matched]
        used = set(matched.values())
        loose = _max_matching(
            {
                i: [
                    j
                    for j, e in enumerate(ests)
                    if j not in used and _in_time(refs[i], e, collar, offset_fraction)
                ]
                for i in loose_refs
            }
        )
        n_ref, n_sys = n_ref + len(refs), n_sys + len(ests)
        correct, substitutions = correct + len(matched), substitutions + len(loose)
        for r in refs:
            per_class[r[2], 0] += 1
        for e in ests:
            per_class[e[2], 1] += 1
        for i in matched:
            per_class[refs[i][2], 2] += 1
    deletions = n_ref - correct - substitutions
    insertions = n_sys - correct - substitutions
    class_f1 = [
        _ratio(2 * c, r + s)
        for index, (r, s, c) in enumerate(per_class)
        if index != background and r > 0
    ]
    return {
        "collar_seconds": collar,
        "offset_collar": f"max({collar} s, {offset_fraction:g} x reference event length)",
        "micro": {
            "f1": _ratio(2 * correct, n_ref + n_sys),
            "error_rate": _ratio(substitutions + deletions + insertions, n_ref),
            "reference_events": n_ref,
            "system_events": n_sys,
            "correct": correct,
        },
        "macro": {"f1": _mean(class_f1)},
    }
