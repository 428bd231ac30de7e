"""The simulated reviewer: how fast does reviewing what the model doubts make a library right,
and does the estimated accuracy of the unreviewed seconds tell the truth?

On a labelled folder (a `demo-data` folder: its labels.csv is the truth, hidden from the
model), a reviewer starts with labels on the first K videos, trains a bundle with the project's
own `train` (out-of-fold calibration included), annotates every video, and then reviews in
rounds: the R unreviewed seconds the queue puts first are corrected from the truth (accepted
where the model was right), the bundle is trained again on every reviewed second, and the
library is annotated again. After each round it records, against the share of the library's
seconds reviewed so far (the starting labels included):
- the library's per-second accuracy (reviewed seconds hold the truth, the rest the model's
  label);
- the estimated accuracy of the unreviewed seconds (their mean calibrated confidence, with a
  95 % interval) beside their true accuracy.
The same effort is spent on a second reviewer who reviews whole videos in order (the next
videos of the folder), retraining the same way, for comparison.

The queue is the app's own (`annotator.core.review_queue`: the doubt score, then video and
second), and so is the estimate (mean calibrated confidence of the unreviewed seconds, with its
run-aware 95 % interval).

Usage:
  .venv/bin/python scripts/simulated_reviewer.py LIBRARY [--start-videos 10]
      [--round-seconds 50] [--max-share 0.2] [--epochs 40] [--arch attention-light]
      [--json docs/simulated-reviewer.json] [--plot docs/simulated-reviewer.png]
The wall time and the machine's load average are recorded in the JSON: training is the cost.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


class Library:
    """The truth of every second, and which seconds a reviewer has seen."""

    def __init__(self, folder: Path):
        from annotator.core.datasets import load_spec

        labelled = load_spec(folder)
        self.source, self.classes = str(folder), labelled.classes
        self.videos = sorted(labelled.videos, key=lambda v: v.path.name)
        self.truth = [list(v.labels) for v in self.videos]

    def seconds(self) -> int:
        return sum(len(t) for t in self.truth)

    def as_labels(self, reviewed: list[np.ndarray]):
        """A LabelledSet holding the truth on reviewed seconds only (the rest unlabelled)."""
        from annotator.core.datasets import LabelledSet, LabelledVideo

        videos = [
            LabelledVideo(
                v.path,
                [label if seen else None for label, seen in zip(truth, mask)],
                complete=False,
            )
            for v, truth, mask in zip(self.videos, self.truth, reviewed)
            if mask.any()
        ]
        return LabelledSet(f"{self.source} (reviewed seconds)", videos, list(self.classes))


def annotate(library: Library, bundle, cache) -> list:
    """Per video: the annotation (per-second table, familiarity) of the current bundle."""
    from annotator.ml.pipeline import label_video, prepare_video

    return [
        label_video(prepare_video(video.path, bundle, cache=cache), bundle, video.path.name)
        for video in library.videos
    ]


def review_queue(library: Library, annotations: list, reviewed: list[np.ndarray], bundle):
    """The app's review queue (annotator.core.review_queue) over the library as it stands: the
    reviewer's labels are the truth of the seconds reviewed so far; the estimate's interval
    holds the bundle's level uncertainty, as in the app."""
    from annotator.core.review_queue import VideoSeconds, build_queue
    from annotator.ml.calibration import level_sd

    videos = (
        VideoSeconds(
            video.path.name,
            annotation.table.iloc[: len(truth)],
            None if annotation.familiarity is None else annotation.familiarity[: len(truth)],
            {int(s): truth[s] for s in np.flatnonzero(mask)},
        )
        for video, annotation, truth, mask in zip(
            library.videos, annotations, library.truth, reviewed
        )
    )
    return build_queue(videos, level_sd(bundle.card))


def measure(library: Library, annotations: list, reviewed: list[np.ndarray], queue) -> dict:
    """Library accuracy, the unreviewed seconds' true accuracy, and the queue's estimate of it."""
    right, unreviewed_right = [], []
    for truth, annotation, mask in zip(library.truth, annotations, reviewed):
        said = annotation.table["label"].tolist()[: len(truth)]
        model_right = np.array([a == b for a, b in zip(said, truth)])
        right.append(np.where(mask, True, model_right))
        unreviewed_right.append(model_right[~mask])
    right, unreviewed_right = np.concatenate(right), np.concatenate(unreviewed_right)
    estimate = queue.estimate
    return {
        "reviewed_share": round(float(np.concatenate(reviewed).mean()), 4),
        "reviewed_seconds": int(np.concatenate(reviewed).sum()),
        "library_accuracy": round(float(right.mean()), 4),
        "unreviewed_accuracy": round(float(unreviewed_right.mean()), 4)
        if len(unreviewed_right)
        else None,
        "estimated_unreviewed_accuracy": None
        if estimate.accuracy is None
        else round(estimate.accuracy, 4),
        "estimate_interval_95": None
        if estimate.accuracy is None
        else [round(estimate.low, 4), round(estimate.high, 4)],
    }


def next_by_doubt(library: Library, queue, reviewed: list[np.ndarray], count: int) -> None:
    """Mark the queue's first `count` seconds reviewed (corrected from the truth)."""
    index = {video.path.name: i for i, video in enumerate(library.videos)}
    for item in queue.top(count):
        reviewed[index[item.video]][item.second] = True


def next_in_video_order(reviewed, count: int) -> None:
    """Mark the next `count` unreviewed seconds in video order (whole videos, one by one)."""
    for mask in reviewed:
        take = np.flatnonzero(~mask)[:count]
        mask[take] = True
        count -= len(take)
        if count <= 0:
            return


def run_reviewer(library, strategy: str, args, work: Path, cache, first=None):
    """One reviewer's rounds and its starting bundle; `first` is the starting bundle where
    another reviewer trained it already (both start from the same labels)."""
    from annotator.ml.bundle import load_bundle
    from annotator.ml.training import train

    reviewed = [np.zeros(len(t), bool) for t in library.truth]
    for mask in reviewed[: args.start_videos]:
        mask[:] = True
    rounds, total = [], library.seconds()
    for number in range(args.rounds + 1):
        started = time.time()
        folder = work / f"{strategy}-{number}"
        bundle = (
            first
            if number == 0 and first is not None
            else load_bundle(folder)
            if args.reuse and (folder / "card.json").exists()
            else train(
                library.as_labels(reviewed),
                args.arch,
                folder,
                epochs=args.epochs,
                seed=args.seed,
                cache=cache,
                overwrite=True,
            )
        )
        if number == 0:
            first = bundle
        trained = time.time() - started
        annotations = annotate(library, bundle, cache)
        if number == 0:
            first_annotations = annotations
        queue = review_queue(library, annotations, reviewed, bundle)
        record = {
            "round": number,
            **measure(library, annotations, reviewed, queue),
            "training_seconds": round(trained, 1),
            "wall_seconds": round(time.time() - started, 1),
            "load_average": load_average(),
        }
        rounds.append(record)
        print(strategy, json.dumps(record), flush=True)
        # A reviewer with a budget spends all of it: the last round takes what is left.
        left = int(args.max_share * total) - int(np.concatenate(reviewed).sum())
        if number == args.rounds or left <= 0:
            break
        count = min(args.round_seconds, left)
        if strategy == "doubt":
            next_by_doubt(library, queue, reviewed, count)
        else:
            next_in_video_order(reviewed, count)
    if strategy == "doubt":
        # The cheap comparison: the same seconds reviewed in video order, the rest keeping the
        # starting bundle's labels (no retraining; `video_order` retrains, at full cost).
        rounds[0]["video_order_without_retraining"] = [
            in_order_without_retraining(library, first_annotations, r["reviewed_seconds"], first)
            for r in rounds
        ]
    return rounds, first


def in_order_without_retraining(library: Library, annotations: list, seconds: int, bundle) -> dict:
    reviewed = [np.zeros(len(t), bool) for t in library.truth]
    next_in_video_order(reviewed, seconds)
    queue = review_queue(library, annotations, reviewed, bundle)
    return measure(library, annotations, reviewed, queue)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for strategy, colour in (("doubt", "tab:blue"), ("video_order", "tab:grey")):
        rounds = result["strategies"].get(strategy, [])
        if not rounds:
            continue
        share = [r["reviewed_share"] * 100 for r in rounds]
        name = "most doubtful seconds first" if strategy == "doubt" else "videos in order"
        ax.plot(share, [r["library_accuracy"] for r in rounds], "o-", color=colour, label=name)
        if strategy == "doubt":
            plain = rounds[0].get("video_order_without_retraining", [])
            ax.plot(
                [r["reviewed_share"] * 100 for r in plain],
                [r["library_accuracy"] for r in plain],
                "x--",
                color="tab:grey",
                label="videos in order, starting model kept",
            )
            ax.plot(
                share,
                [r["unreviewed_accuracy"] for r in rounds],
                "s:",
                color="tab:green",
                label="unreviewed seconds: true accuracy",
            )
            estimate = [r["estimated_unreviewed_accuracy"] for r in rounds]
            low = [r["estimate_interval_95"][0] for r in rounds]
            high = [r["estimate_interval_95"][1] for r in rounds]
            ax.plot(share, estimate, "^--", color="tab:orange", label="unreviewed: estimated")
            ax.fill_between(share, low, high, color="tab:orange", alpha=0.2)
    ax.axhline(0.98, color="black", lw=0.6, ls=":")
    ax.set_xlabel("seconds reviewed (% of the library, starting labels included)")
    ax.set_ylabel("per-second accuracy")
    ax.set_title(result["title"], fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def combine(runs: list[Path], out: Path, plot_path: Path) -> int:
    """One JSON and one plot from runs that each measured some of the strategies."""
    results = [json.loads(path.read_text()) for path in runs]
    merged = dict(results[0])
    merged["strategies"] = {k: v for r in results for k, v in r["strategies"].items()}
    merged["wall_seconds"] = {str(path): r.get("wall_seconds") for path, r in zip(runs, results)}
    out.write_text(json.dumps(merged, indent=2) + "\n")
    plot(merged, plot_path)
    print(f"wrote {out} and {plot_path}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "library", type=Path, nargs="?", help="a labelled folder (demo-data output)"
    )
    parser.add_argument("--start-videos", type=int, default=10)
    parser.add_argument("--round-seconds", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10, help="at most this many rounds")
    parser.add_argument(
        "--max-share", type=float, default=0.2, help="stop before reviewing more than this"
    )
    parser.add_argument("--arch", default="attention-light")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategies", nargs="+", default=["doubt", "video_order"])
    parser.add_argument("--work", type=Path, default=None, help="where bundles go (temporary)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="take a round's bundle from --work where an earlier run left it (same settings)",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "simulated-reviewer.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "simulated-reviewer.png")
    parser.add_argument(
        "--combine",
        nargs="+",
        type=Path,
        default=None,
        metavar="JSON",
        help="only merge the strategies of these runs (e.g. one per strategy, run in parallel) "
        "into --json and --plot",
    )
    args = parser.parse_args(argv)
    if args.combine:
        return combine(args.combine, args.json, args.plot)
    if args.library is None:
        parser.error("LIBRARY is needed (unless --combine)")
    from annotator.core.feature_cache import FeatureCache

    library, cache = Library(args.library), FeatureCache()
    work = args.work or Path(tempfile.mkdtemp(prefix="simulated-reviewer-"))
    started = time.time()
    result = {
        "library": str(args.library),
        "videos": len(library.videos),
        "seconds": library.seconds(),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "strategies": {},
    }
    first = None
    for strategy in args.strategies:
        result["strategies"][strategy], first = run_reviewer(
            library, strategy, args, work, cache, first
        )
        result["wall_seconds"] = round(time.time() - started, 1)
        result["title"] = (
            f"{len(library.videos)} clips, {library.seconds()} s; labels on "
            f"{args.start_videos} clips to start, rounds of {args.round_seconds} s"
        )
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        plot(result, args.plot)
    print(f"wrote {args.json} and {args.plot} ({result['wall_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
