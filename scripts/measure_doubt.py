"""How well the doubt score finds the model's wrong seconds, beside confidence alone.

    python main.py demo-data /tmp/demo30 --clips 30 --seed 6161
    python main.py review /tmp/demo30 --model attention      # annotates into the folder's store
    python scripts/measure_doubt.py /tmp/demo30

Truth is the folder's labels.csv. For each score: the area under the ROC curve of wrong against
right seconds (1.0: every wrong second is doubted more than every right one), and how many of
the wrong seconds the queue's first 10 % of seconds holds. The estimate of the accuracy (mean
confidence, with its interval) is printed beside the true accuracy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.core.doubt import doubt_signs  # noqa: E402
from annotator.core.review_queue import queue_from_store  # noqa: E402
from annotator.core.store import ProjectStore  # noqa: E402


def _name(video: str) -> str:
    """labels.csv names a clip by its file name; the store by its path from the folder (a
    folder of links to the clips gives ../clips/clip_0001.mp4)."""
    return Path(video).name


def auroc(score: np.ndarray, wrong: np.ndarray) -> float:
    """P(score of a wrong second > score of a right one), ties counting half."""
    ranks = pd.Series(score).rank().to_numpy()
    n_wrong, n_right = int(wrong.sum()), int((~wrong).sum())
    if not n_wrong or not n_right:
        return float("nan")
    return float((ranks[wrong].sum() - n_wrong * (n_wrong + 1) / 2) / (n_wrong * n_right))


def caught(score: np.ndarray, wrong: np.ndarray, share: float = 0.1) -> float:
    top = np.argsort(-score, kind="stable")[: max(1, int(round(share * len(score))))]
    return float(wrong[top].sum() / max(wrong.sum(), 1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    args = parser.parse_args(argv)
    truth = pd.read_csv(Path(args.folder) / "labels.csv")
    truth = {(v, int(s)): label for v, s, label in zip(truth.video, truth.second, truth.label)}
    store = ProjectStore.for_folder(args.folder)
    scores: dict[str, list] = {"1 - confidence": [], "heads disagree": [], "unfamiliar": []}
    scores["doubt"] = []
    wrong = []
    for video in store.videos()["video"]:
        table = store.predictions(video)
        if table.empty:
            continue
        signs = doubt_signs(table, store.familiarity(video))
        scores["1 - confidence"].append(signs.wrong)
        scores["heads disagree"].append(signs.disagreement)
        scores["unfamiliar"].append(signs.strangeness)
        scores["doubt"].append(signs.total())
        wrong.append(
            np.array(
                [
                    truth[(_name(video), int(s))] != label
                    for s, label in zip(table.second, table.label)
                ]
            )
        )
    wrong = np.concatenate(wrong)
    print(
        f"{args.folder}: {len(wrong)} seconds, {int(wrong.sum())} wrong "
        f"(accuracy {1 - wrong.mean():.3f}); model {store.videos()['model'].iloc[0]}"
    )
    print("score            AUROC wrong vs right   wrong seconds in the first 10 %")
    for name, parts in scores.items():
        score = np.concatenate(parts)
        print(f"{name:<16} {auroc(score, wrong):.3f}{'':17}{caught(score, wrong):.2f}")
    print(queue_from_store(store).estimate.describe(), f"(true: {100 * (1 - wrong.mean()):.1f} %)")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
