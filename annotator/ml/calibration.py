"""Confidences that mean what they say: temperature scaling per head, and the lowering of
unfamiliar seconds' confidences.

A model's softmax is usually over-confident. Dividing its log-probabilities by a temperature T
(fitted on held-out seconds by minimising their negative log-likelihood) keeps every arg-max
label and makes a confidence of 0.9 right about nine times in ten on data like the training
data. Where a second is unlike that data (familiarity below 1) no fitted number holds, so its
confidence is at most half the calibrated probability, less the further out it is.
"""

from __future__ import annotations

import numpy as np

_FLOOR = 1e-12
HEADS = ("event", "audio", "visual")


def scale_probabilities(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T) row by row: T > 1 softens, T < 1 sharpens, the arg-max never moves."""
    logits = np.log(np.maximum(np.asarray(probabilities, np.float64), _FLOOR)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, truth: np.ndarray, temperature: float) -> float:
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
    return round(float(min(fine, key=lambda t: negative_log_likelihood(probabilities, truth, t))), 4)


def temperatures_of(bundle) -> dict:
    """The card's temperature per head (1.0, i.e. unchanged, for a bundle never calibrated)."""
    return dict(bundle.card.get("calibration", {}).get("temperatures", {}))


def calibrated_probabilities(bundle, probabilities: dict) -> dict:
    """{'event', 'audio', 'visual'} distributions with the bundle's temperatures applied."""
    temperatures = temperatures_of(bundle)
    return {head: scale_probabilities(p, temperatures[head]) if head in temperatures else p
            for head, p in probabilities.items()}


def honest_confidence(confidence, familiarity) -> np.ndarray:
    """The CSV's confidence: the calibrated probability where the second is familiar
    (familiarity 1), at most half of it where not, scaled down by the familiarity."""
    confidence = np.asarray(confidence, np.float64)
    familiarity = np.asarray(familiarity, np.float64)
    return np.where(familiarity >= 1.0, confidence, confidence * 0.5 * familiarity)


def lower_unfamiliar(table, familiarity) -> None:
    """Lower the table's confidences in place where seconds are unfamiliar (labels unchanged)."""
    for column in ("confidence", "audio_confidence", "visual_confidence"):
        table[column] = honest_confidence(table[column].to_numpy(np.float64), familiarity)
