"""Confidences that mean what they say: temperature scaling per head, and the lowering of
unfamiliar seconds' confidences.

A model's softmax is usually over-confident. Dividing its log-probabilities by a temperature T
(fitted on held-out seconds by minimising their negative log-likelihood) keeps every arg-max
label and makes a confidence of 0.9 right about nine times in ten on data like the training
data. One temperature cannot serve a head that is sure of some labels and guessing between two
on others (a sound family shared by two classes: the audio head is right half the time there
while its top probability says 0.6-0.75), so the confidence written out is the scaled top
probability passed through a non-decreasing map fitted on the same held-out seconds (isotonic
regression): the order of confidences is kept, and no label ever changes. Where a second is
unlike that data (familiarity below 1) no fitted number holds, so its
confidence is at most half the calibrated probability, less the further out it is.
"""

from __future__ import annotations

import numpy as np

from .bundle import recorded_level
from .confidence_model import apply_confidence_model, apply_following

_FLOOR = 1e-12  # the shipped bundles' (isotonic maps): their pinned outputs depend on it
# Bundles whose confidence reads margins (confidence_model.py): far below float32's smallest
# normal number, since a saturated softmax still tells its runner-up's probability (1e-20
# beside 1e-30 is a different second), which ranks seconds the top probability cannot.
MARGIN_FLOOR = 1e-38
HEADS = ("event", "audio", "visual")
CONFIDENCE_MAP_BINS = 40


def scale_probabilities(
    probabilities: np.ndarray, temperature, floor: float = _FLOOR
) -> np.ndarray:
    """softmax(log p / T) row by row (T a number or one per row): T > 1 softens, T < 1
    sharpens, the arg-max never moves. Probabilities below `floor` count as `floor`."""
    temperature = np.asarray(temperature, np.float64)
    if temperature.ndim == 1:
        temperature = temperature[:, None]
    logits = np.log(np.maximum(np.asarray(probabilities, np.float64), floor)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def negative_log_likelihood(
    probabilities: np.ndarray, truth: np.ndarray, temperature: float
) -> float:
    scaled = scale_probabilities(probabilities, temperature)
    return float(-np.log(np.maximum(scaled[np.arange(len(truth)), truth], _FLOOR)).mean())


def fit_temperature(probabilities: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of `truth` (class indices; seconds
    of unknown truth, -1, are left out): a coarse log-spaced search, then a fine one around it."""
    truth = np.asarray(truth)
    known = truth >= 0
    probabilities, truth = np.asarray(probabilities)[known], truth[known]
    if not len(truth):
        return 1.0
    grid = np.exp(np.linspace(np.log(0.05), np.log(50.0), 121))
    best = min(grid, key=lambda t: negative_log_likelihood(probabilities, truth, t))
    fine = best * np.exp(np.linspace(-0.06, 0.06, 25))
    return round(
        float(min(fine, key=lambda t: negative_log_likelihood(probabilities, truth, t))), 4
    )


def fit_confidence_map(
    confidence: np.ndarray, correct: np.ndarray, bins: int = CONFIDENCE_MAP_BINS
) -> dict:
    """A non-decreasing map from a head's (temperature-scaled) top probability to how often
    that label is right: isotonic regression (pool adjacent violators) over equal-count bins.
    Returned as two plain lists, interpolated linearly between them."""
    order = np.argsort(confidence, kind="stable")
    groups = [g for g in np.array_split(order, min(bins, len(order))) if len(g)]
    merged: list[list] = []  # [sum of top probabilities, seconds right, seconds]
    for g in groups:
        merged.append([float(confidence[g].sum()), float(correct[g].sum()), len(g)])
        # Pool while the rate does not rise (ties too, so a long run of all-right bins
        # becomes one block whose smoothed rate reflects all its seconds).
        while len(merged) > 1 and merged[-2][1] / merged[-2][2] >= merged[-1][1] / merged[-1][2]:
            last = merged.pop()
            merged[-1] = [a + b for a, b in zip(merged[-1], last)]
    # Laplace-smoothed rates ((right + 1) / (seconds + 2)): a block all right is not a
    # certainty, so no confidence is ever exactly 0 or 1.
    return {
        "probability": [round(x / n, 5) for x, _r, n in merged],
        "confidence": [round((r + 1) / (n + 2), 5) for _x, r, n in merged],
    }


def head_confidence(
    probabilities: np.ndarray, confidence_map: dict | None, heads: dict | None = None
) -> np.ndarray:
    """Per second: the probability that the head's label is right (its top probability where
    the bundle has no map). A map fitted on evidence (confidence_model.py) reads the other
    heads' distributions in `heads` too."""
    if confidence_map and confidence_map.get("kind") == "logistic":
        return apply_confidence_model(confidence_map, probabilities, heads or {})
    top = np.asarray(probabilities, np.float64).max(axis=1)
    if not confidence_map:
        return top
    return np.interp(top, confidence_map["probability"], confidence_map["confidence"])


def calibrated_probabilities(bundle, probabilities: dict) -> dict:
    """{'event', 'audio', 'visual'} distributions with the bundle's temperatures applied
    (unchanged for a bundle never calibrated)."""
    calibration = bundle.card.get("calibration", {})
    temperatures = calibration.get("temperatures", {})
    maps = calibration.get("confidence_maps", {}).values()
    floor = MARGIN_FLOOR if any(m.get("kind") == "logistic" for m in maps) else _FLOOR
    return {
        head: scale_probabilities(p, temperatures[head], floor) if head in temperatures else p
        for head, p in probabilities.items()
    }


def calibrated_confidences(bundle, probabilities: dict) -> dict:
    """{'event', 'audio', 'visual'}: per second, the calibrated probability that the head's
    label is right, from temperature-scaled `probabilities`."""
    maps = bundle.card.get("calibration", {}).get("confidence_maps", {})
    confidences = {
        head: head_confidence(p, maps.get(head), probabilities)
        for head, p in probabilities.items()
        if (maps.get(head) or {}).get("kind") != "follows_fused"
    }
    for head, p in probabilities.items():  # heads that follow the fused confidence
        if head not in confidences:
            confidences[head] = apply_following(
                maps[head], p, probabilities["event"], confidences["event"]
            )
    return confidences


def honest_confidence(confidence, familiarity) -> np.ndarray:
    """The CSV's confidence: the calibrated probability where the second is familiar
    (familiarity 1), at most half of it where not, scaled down by the familiarity."""
    confidence = np.asarray(confidence, np.float64)
    familiarity = np.asarray(familiarity, np.float64)
    return np.where(familiarity >= 1.0, confidence, confidence * 0.5 * familiarity)


_COLUMNS = {"event": "confidence", "audio": "audio_confidence", "visual": "visual_confidence"}


def write_confidences(table, confidences: dict, familiarity) -> None:
    """Put each head's calibrated confidence in the table, lowered where seconds are unfamiliar
    (`familiarity` None: not lowered). Labels are not touched."""
    for head, column in _COLUMNS.items():
        if head in confidences:
            values = confidences[head]
            table[column] = (
                values if familiarity is None else honest_confidence(values, familiarity)
            )


def level_sd(card: dict) -> float:
    """How far the fused confidence's level may be off (a standard deviation) as the card
    records it (calibrate.level_uncertainty); 0 where it records none (calibrated before it was
    recorded)."""
    return float(recorded_level(card).get("sd", 0.0))


def level_sd_of_bundles(tags, bundles) -> float:
    """The largest level uncertainty among `bundles` whose tag (name@version, the store's model
    column) is in `tags`: the bundles that made a library's predictions."""
    tags = set(tags)
    return max((level_sd(b.card) for b in bundles if b.tag in tags), default=0.0)
