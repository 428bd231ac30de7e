"""A confidence that ranks: the probability that a head's label is right, fitted on evidence
the model gives beside its top probability.

A model trained on a few dozen clips is sure of nearly everything: its fused softmax saturates
(measured: 3 distinct top probabilities over 193 seconds), so no map of the top probability
alone can tell its right seconds from its wrong ones. The evidence it still gives:
- `margin`: how far the head is from changing its mind, log p(top) - log p(runner-up), read
  from the probabilities themselves (a saturated 1.0 still has a runner-up of 1e-9 or 1e-25);
- `audio_agrees` / `visual_agrees`: how much the audio and the visual head prefer the fused
  label to their best other label (the picture saying something else is a reason to doubt);
- `steady`: the label is the same one second before and after (most mistakes sit where a
  label changes, at the edges of events);
- `weakest`: the least support any head gives the label, its own margin included (a second is
  only as sure as its least sure witness). It needs no fitted weights, so it serves where there
  are too few seconds to weigh the others (measured on held-out novel clips, area under the ROC
  curve of a 10-clip bundle's fused label: 0.74 by its margin, 0.90 by this). For a modality
  head the fused head's backing is what tells its right seconds from its wrong ones (the audio
  head: 0.67 by its own margin, 0.98 by this), which is why those heads follow the fused label
  (below);
- `agreed`: every head names the label (the weakest support is above zero).
A logistic regression on these (Platt scaling generalised; L2-regularised, fitted by Newton's
method) maps them to the probability of being right. It is smooth and strictly monotone in a
combined score, so seconds keep distinct confidences in the order of that score. With very few
seconds, or wrong ones, to fit on, only `weakest` is used (Platt scaling of one number).

A modality head's confidence follows the fused label's (`fit_following`): where the head names
the fused label it is right exactly when the fused label is; where it names another label it
can only be right where the fused label is wrong. Fitted on its own out-of-fold seconds a head's
map misjudges its level, because the fold models' heads, each taught one clip of a class fewer,
are much weaker than the final model's (measured at 10 clips: audio head right on 0.37-0.51 of
out-of-fold seconds, 0.68-0.71 of new clips', calibration error 0.11-0.15); the fused label's
out-of-fold accuracy is close to the final model's (0.84-0.88 against 0.82-0.87), so the heads
borrow its level (calibration error 0.04-0.08).

The card stores the evidence names, the standardisation and the weights: plain numbers.
"""

from __future__ import annotations

import functools

import numpy as np

MARGIN_CAP = 60.0  # nats; beyond it the float32 runner-up has underflowed anyway
# Below these the fit uses one number (`weakest`): a few wrong seconds cannot weigh four. Above
# them the four, which rank a 10-clip bundle's new seconds better than `weakest` alone on each
# of the seeds tried (area under the ROC curve 0.87-0.93 against 0.79-0.90; 100 fit seconds).
MIN_SECONDS_FOR_EVIDENCE = 40
MIN_WRONG_FOR_EVIDENCE = 4
RIDGE = 1.0  # L2 penalty on the standardised weights (in seconds' worth of log-likelihood)
# The confidence never falls as the head grows surer: a fit on a few dozen seconds of a weak
# model can find the margin pointing the wrong way (measured: -0.17 on 86 seconds of a 6-epoch
# model, which turned the ranking upside down on new clips, AUROC 0.28). The weight of the
# head's own sureness (`margin`, or `weakest`) is then held at this floor (standardised units),
# so seconds stay in its order.
MIN_MARGIN_WEIGHT = 0.1
RISING = ("margin", "weakest")  # the evidence whose weight never goes below the floor
FUSED_EVIDENCE = ("margin", "audio_agrees", "visual_agrees", "steady")
# Where seconds are very few: the weakest support and whether every head names the label (the
# chance of being right jumps where the last head comes round to it: measured on a 10-clip
# bundle's held-out seconds, 0.77 right just below, 0.98 just above).
FEW_SECONDS_EVIDENCE = ("weakest", "agreed")


def log_margin(probabilities: np.ndarray) -> np.ndarray:
    """Per second: log p(top) - log p(runner-up), capped at MARGIN_CAP."""
    logp = np.log(np.maximum(np.asarray(probabilities, np.float64), 1e-300))
    two = -np.partition(-logp, 1, axis=1)[:, :2] if logp.shape[1] > 1 else None
    if two is None:
        return np.full(len(logp), MARGIN_CAP)
    return np.minimum(two[:, 0] - two[:, 1], MARGIN_CAP)


def _agreement(other: np.ndarray | None, label: np.ndarray) -> np.ndarray:
    """How much another head prefers `label` to its best other label (log-probabilities; below
    0 where it says something else). Read as a margin, it does not saturate at 1.0 either."""
    if other is None:  # the video lacks that stream: no evidence either way (see apply)
        return np.full(len(label), np.nan)
    logp = np.log(np.maximum(np.asarray(other, np.float64), 1e-300))
    rows = np.arange(len(label))
    chosen = logp[rows, label].copy()
    logp[rows, label] = -np.inf
    return np.clip(chosen - logp.max(axis=1), -MARGIN_CAP, MARGIN_CAP)


def _steady(label: np.ndarray) -> np.ndarray:
    same_before = np.concatenate([[True], label[1:] == label[:-1]])
    same_after = np.concatenate([label[:-1] == label[1:], [True]])
    return (same_before & same_after).astype(np.float64)


def _weakest(probabilities: np.ndarray, heads: dict, label: np.ndarray) -> np.ndarray:
    """The least support for `label` among the head itself (its margin) and every other head
    in `heads` that has the second (a head for a stream the video lacks gives none)."""
    # The head's own entry in `heads`, where it is there, reads as its margin again: harmless.
    support = [log_margin(probabilities)]
    support += [_agreement(other, label) for other in heads.values() if other is not None]
    return np.stack(support).min(0)


def evidence(names, probabilities: np.ndarray, heads: dict) -> np.ndarray:
    """(seconds, len(names)) evidence for the head whose distribution is `probabilities`;
    `heads` holds every head's distribution of the same seconds ('event', 'audio', 'visual')."""
    label = np.asarray(probabilities).argmax(1)
    weakest = functools.cache(lambda: _weakest(probabilities, heads, label))
    columns = {
        "margin": lambda: log_margin(probabilities),
        "audio_agrees": lambda: _agreement(heads.get("audio"), label),
        "visual_agrees": lambda: _agreement(heads.get("visual"), label),
        "steady": lambda: _steady(label),
        "weakest": weakest,
        "agreed": lambda: (weakest() > 0).astype(np.float64),
    }
    return np.stack([columns[name]() for name in names], axis=1)


def evidence_for(head: str, heads: dict, seconds: int, wrong: int) -> tuple[str, ...]:
    """Which evidence a head's confidence is fitted on: the fused label uses the modality
    heads where the model has them and the data is enough to weigh them; otherwise (and for a
    modality head of a model without a fused one) the weakest support any head gives it."""
    if head != "event" or seconds < MIN_SECONDS_FOR_EVIDENCE or wrong < MIN_WRONG_FOR_EVIDENCE:
        return FEW_SECONDS_EVIDENCE
    return tuple(
        name for name in FUSED_EVIDENCE if not name.endswith("_agrees") or name[:-7] in heads
    )


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, ridge: float, offset: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Weights and bias maximising the L2-penalised log-likelihood (bias not penalised) of
    sigmoid(x @ weights + bias + offset)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    offset = np.zeros(len(x)) if offset is None else offset
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], ridge)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ beta + offset)))
        gradient = design.T @ (y - p) - penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty) + 1e-9
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def _fit_rising_in_margin(z: np.ndarray, y: np.ndarray, names) -> tuple[np.ndarray, float]:
    """The logistic fit, with the weight of the head's sureness (RISING) at least
    MIN_MARGIN_WEIGHT (the others refitted around it where the free fit went below)."""
    weights, bias = _fit_logistic(z, y, RIDGE)
    rising = [i for i, name in enumerate(names) if name in RISING]
    if not rising:
        return weights, bias
    m = rising[0]
    if weights[m] >= MIN_MARGIN_WEIGHT:
        return weights, bias
    others = [i for i in range(len(names)) if i != m]
    fitted, bias = _fit_logistic(z[:, others], y, RIDGE, offset=MIN_MARGIN_WEIGHT * z[:, m])
    weights = np.zeros(len(names))
    weights[others], weights[m] = fitted, MIN_MARGIN_WEIGHT
    return weights, bias


def fit_confidence_model(x: np.ndarray, correct: np.ndarray, names: tuple[str, ...]) -> dict:
    """The card's map: evidence names, standardisation and logistic weights fitted so that
    the confidence is the probability of `correct`, from `x` = evidence(names, ...) of the
    fit seconds."""
    complete = ~np.isnan(x).any(axis=1)
    x, y = x[complete], np.asarray(correct, np.float64)[complete]
    mean, scale = x.mean(0), x.std(0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    # One right and one wrong pseudo-second at the mean (Laplace's rule, as the isotonic map
    # smooths its rates): a fit set all right is not a certainty.
    z = np.vstack([(x - mean) / scale, np.zeros((2, len(names)))])
    weights, bias = _fit_rising_in_margin(z, np.concatenate([y, [1.0, 0.0]]), names)
    return {
        "kind": "logistic",
        "evidence": list(names),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [round(float(v), 6) for v in weights],
        "bias": round(bias, 6),
    }


def apply_confidence_model(model: dict, probabilities: np.ndarray, heads: dict) -> np.ndarray:
    """Per second: the fitted probability that the head's label is right."""
    x = evidence(model["evidence"], probabilities, heads)
    mean = np.asarray(model["mean"])
    # Evidence a video cannot give (a head for a stream it lacks) counts as typical.
    x = np.where(np.isnan(x), mean, x)
    z = (x - mean) / np.asarray(model["scale"])
    score = z @ np.asarray(model["weights"]) + model["bias"]
    return 1.0 / (1.0 + np.exp(-score))


def fit_following(head_labels: np.ndarray, fused_labels: np.ndarray, truth: np.ndarray) -> dict:
    """A modality head's map that follows the fused confidence: only the rate at which the head
    is right where it names another label than the fused one and the fused one is wrong
    (Laplace's rule, as the logistic fit's pseudo-seconds)."""
    fused_wrong = (head_labels != fused_labels) & (fused_labels != truth)
    right = int((head_labels[fused_wrong] == truth[fused_wrong]).sum())
    return {
        "kind": "follows_fused",
        "right_where_fused_is_wrong": round((right + 1) / (int(fused_wrong.sum()) + 2), 6),
        "seconds": int(fused_wrong.sum()),
    }


def apply_following(
    model: dict, probabilities: np.ndarray, fused: np.ndarray, fused_confidence: np.ndarray
) -> np.ndarray:
    """Per second: the fused confidence where the head names the fused label, else the chance
    that the fused label is wrong times the rate at which the head is then right."""
    same = np.asarray(probabilities).argmax(1) == np.asarray(fused).argmax(1)
    fused_confidence = np.asarray(fused_confidence, np.float64)
    return np.where(
        same, fused_confidence, (1.0 - fused_confidence) * model["right_where_fused_is_wrong"]
    )
