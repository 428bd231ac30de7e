"""How much to doubt each second the model labelled, and why: the one score behind `N`, the folder
view's "label next", the app's review queue and `review`.

A second is doubtful where the calibrated confidence says it is likely wrong (1 - confidence is
the chance it is wrong), and more so where the audio and visual heads name different labels,
where it is unlike anything the model was trained on, and where the label changes next to it
(event edges are where a per-second model is most often a second off). Each doubtful second
carries the reason a reviewer reads ("heads disagree: sound says Church bell, picture says Frog
chorus; confidence 0.62"). Seconds a person labelled are not doubted. Arrays in, a table out:
no store, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Weights of each sign beside the chance of being wrong (1 - confidence). Disagreement between
# the heads is the strongest sign the fused confidence misses (DESIGN.md: top probability minus
# head disagreement ranks right against wrong far better than the probability alone).
DISAGREEMENT_WEIGHT = 0.5
# A second beyond the familiarity boundary is doubtful on that alone (UNFAMILIAR_WEIGHT keeps
# `N` visiting every one, as it did before this score), and more the further out it lies.
UNFAMILIAR_WEIGHT = 0.5
STRANGENESS_WEIGHT = 0.5  # times (1 - familiarity): 0.25 more for a second twice as far out
BOUNDARY_WEIGHT = 0.1
# A sign is named in the reason once it adds at least this much doubt; confidence is named
# always (it is the number the reviewer compares with the threshold).
REASON_FLOOR = 0.05
DOUBT_COLUMNS = ["second", "label", "confidence", "doubt", "reason"]
REVIEWED_REASON = "reviewed"


@dataclass
class DoubtSigns:
    """Per second, each sign's share of the doubt (arrays of one length)."""

    wrong: np.ndarray  # 1 - confidence
    disagreement: np.ndarray  # weight x how sure the two disagreeing heads are; 0 if they agree
    strangeness: np.ndarray  # beyond the familiarity boundary: how far
    boundary: np.ndarray  # weight where the label changes next to the second

    def total(self) -> np.ndarray:
        return self.wrong + self.disagreement + self.strangeness + self.boundary


def _text(column: pd.Series) -> np.ndarray:
    return column.fillna("").astype(str).to_numpy()


def _number(column: pd.Series, missing: float) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").fillna(missing).to_numpy(float)


def reviewed_labels(predictions: pd.DataFrame, human: dict[int, str]) -> np.ndarray:
    """Per second, the person's label where there is one, else the model's."""
    labels = _text(predictions["label"]).copy()
    for index, second in enumerate(predictions["second"].to_numpy(int)):
        if int(second) in human:
            labels[index] = human[int(second)]
    return labels


def doubt_signs(
    predictions: pd.DataFrame,
    familiarity: np.ndarray | None = None,
    human: dict[int, str] | None = None,
) -> DoubtSigns:
    """Each sign of doubt per second of a predicted per-second table."""
    seconds = len(predictions)
    wrong = 1.0 - np.clip(_number(predictions["confidence"], 0.5), 0.0, 1.0)
    audio, visual = _text(predictions["audio_label"]), _text(predictions["visual_label"])
    disagree = (audio != "") & (visual != "") & (audio != visual)
    # Two heads each sure of a different label is a stronger sign than two guesses that differ.
    sureness = np.sqrt(
        np.clip(_number(predictions["audio_confidence"], 1.0), 0, 1)
        * np.clip(_number(predictions["visual_confidence"], 1.0), 0, 1)
    )
    disagreement = DISAGREEMENT_WEIGHT * disagree * (0.5 + 0.5 * sureness)
    strangeness = np.zeros(seconds)
    if familiarity is not None and len(familiarity) == seconds:
        familiar = np.clip(np.asarray(familiarity, float), 0.0, 1.0)
        strangeness = (familiar < 1.0) * (UNFAMILIAR_WEIGHT + STRANGENESS_WEIGHT * (1.0 - familiar))
    labels = reviewed_labels(predictions, human or {})
    changes = np.zeros(seconds, bool)
    if seconds > 1:
        step = labels[1:] != labels[:-1]
        changes[1:] |= step
        changes[:-1] |= step
    return DoubtSigns(wrong, disagreement, strangeness, BOUNDARY_WEIGHT * changes)


def _reason(index: int, signs: DoubtSigns, predictions: pd.DataFrame, labels) -> str:
    """The reviewer's words for one second's doubt: its signs, largest first, then confidence."""
    parts: list[tuple[float, str]] = []
    if signs.disagreement[index] >= REASON_FLOOR:
        audio = predictions["audio_label"].iloc[index]
        visual = predictions["visual_label"].iloc[index]
        parts.append(
            (
                signs.disagreement[index],
                f"heads disagree: sound says {audio}, picture says {visual}",
            )
        )
    if signs.strangeness[index] >= REASON_FLOOR:
        parts.append((signs.strangeness[index], "unlike the training data"))
    if signs.boundary[index] > 0:
        before = labels[index - 1] if index > 0 else labels[index]
        after = labels[index + 1] if index + 1 < len(labels) else labels[index]
        edge = f"{before} → {labels[index]}" if before != labels[index] else f"→ {after}"
        parts.append((signs.boundary[index], f"label changes here ({edge})"))
    parts.sort(key=lambda part: -part[0])
    confidence = 1.0 - signs.wrong[index]
    return "; ".join([text for _share, text in parts] + [f"confidence {confidence:.2f}"])


def second_doubt(
    predictions: pd.DataFrame,
    familiarity: np.ndarray | None = None,
    human: dict[int, str] | None = None,
) -> pd.DataFrame:
    """Per second of a predicted per-second table: second, label (the model's), confidence,
    doubt (higher = likelier wrong; 0 where a person labelled the second) and the reason.

    `familiarity` is the bundle's per-second familiarity (1 = like the training data; None when
    the bundle has none); `human` the person's labels {second: label}."""
    if predictions is None or not len(predictions):
        return pd.DataFrame(columns=DOUBT_COLUMNS)
    human = human or {}
    signs = doubt_signs(predictions, familiarity, human)
    labels = reviewed_labels(predictions, human)
    seconds = predictions["second"].to_numpy(int)
    reviewed = np.isin(seconds, list(human))
    doubt = np.where(reviewed, 0.0, signs.total())
    reasons = [
        REVIEWED_REASON if reviewed[i] else _reason(i, signs, predictions, labels)
        for i in range(len(seconds))
    ]
    return pd.DataFrame(
        {
            "second": seconds,
            "label": _text(predictions["label"]),
            "confidence": 1.0 - signs.wrong,
            "doubt": doubt,
            "reason": reasons,
        }
    )


def doubt_scores(
    predictions: pd.DataFrame,
    familiarity: np.ndarray | None = None,
    human: dict[int, str] | None = None,
) -> np.ndarray:
    """Just the per-second doubt (0 where a person labelled), without the reason texts."""
    if predictions is None or not len(predictions):
        return np.zeros(0)
    signs = doubt_signs(predictions, familiarity, human or {})
    reviewed = np.isin(predictions["second"].to_numpy(int), list(human or {}))
    return np.where(reviewed, 0.0, signs.total())


def doubtful(doubt: np.ndarray, threshold: float) -> np.ndarray:
    """Which seconds count as doubtful at a confidence threshold: those whose doubt is at least
    what a confidence just below the threshold alone would give (so with no other sign, exactly
    the seconds below the threshold; with one, also confident seconds the other signs doubt)."""
    return np.asarray(doubt, float) > 1.0 - float(threshold)
