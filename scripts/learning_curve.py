"""Measure how few labels are enough: the learning curve on classes no shipped bundle knows.

Renders `demo-data --class-set novel` pools (one per repeat, 40 clips each, seeds 100, 101, ...)
and 20 test clips from another seed (9100), then for each size N trains on the first N clips of
a pool (clips are dealt in shuffled blocks of the 5 classes, so the first 10 hold two of each,
as a user labelling a balanced handful would) and measures per-second accuracy on the 20 test
clips with `evaluate`. It also times `train` end to end from raw videos (an empty feature
cache) and from cached features, as fresh `python main.py train` processes, and trains once on
a CSV where a third of each video's rows come from a model with wrong labels (masked).

Usage: .venv/bin/python scripts/learning_curve.py [--work DIR] [--repeats 3]
           [--sizes 5 10 20 40] [--arch attention-light] [--epochs 40] [--json FILE]
The machine's load average is printed with every timing: on a shared machine, wall time says
more about the neighbours than about the tool, so CPU time is given too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEST_SEED, POOL_SEED, POOL_CLIPS, TEST_CLIPS = 9100, 100, 40, 20


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


def render(folder: Path, clips: int, seed: int) -> Path:
    from annotator.core.demo.demo_data import generate_demo_data

    if not (folder / "labels.csv").exists():
        generate_demo_data(folder, clips=clips, seed=seed, class_set="novel")
    return folder


def subset_csv(pool: Path, count: int, name: str, corrupt: bool = False) -> Path:
    """The first `count` clips' rows of a pool's labels.csv, beside its videos."""
    from annotator.core.csv_io import read_per_second_csv, write_per_second_csv

    table = read_per_second_csv(pool / "labels.csv")
    videos = list(dict.fromkeys(table["video"]))[:count]
    table = table[table["video"].isin(videos)].copy()
    if corrupt:  # every third second: a wrong label, from a model
        classes = sorted(set(table["label"]))
        chosen = table["second"] % 3 == 1
        wrong = {c: classes[(i + 1) % len(classes)] for i, c in enumerate(classes)}
        table.loc[chosen, "label"] = table.loc[chosen, "label"].map(wrong)
        table.loc[chosen, "source"] = "model"
    return write_per_second_csv(table, pool / f"{name}.csv")


def timed_cli(arguments: list[str], cache: Path) -> dict:
    """Run `python main.py ARGS` as a fresh process; wall and CPU seconds, load before/after."""
    env = dict(os.environ, AV_ANNOTATOR_CACHE=str(cache))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = load_average()
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *arguments], env=env, capture_output=True, text=True
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        raise RuntimeError(f"main.py {' '.join(arguments)} failed:\n{result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "load_before": load,
        "load_after": load_average(),
        "summary": result.stdout.strip().splitlines()[-1],
    }


def one_point(
    spec: Path, test: Path, out: Path, arch: str, epochs: int, seed: int, warm_start=None
) -> dict:
    from annotator.core.errors import AnnotatorError
    from annotator.ml.bundle import load_bundle
    from annotator.ml.evaluation import evaluate
    from annotator.ml.training import train

    shutil.rmtree(out, ignore_errors=True)
    cpu = time.process_time()
    try:
        bundle = train(spec, arch, out, epochs=epochs, seed=seed, warm_start=warm_start)
    except AnnotatorError as exc:
        return {"refused": str(exc)}
    training = bundle.card["training"]
    report = evaluate(test, load_bundle(bundle.path))
    return {
        "accuracy": report["per_second_accuracy"],
        "event_accuracy": report["event_second_accuracy"],
        "per_class": report["per_class"],
        "held_out": bundle.card.get("metrics", {}).get("per_second_accuracy"),
        "epochs_run": training["epochs_run"],
        "refit": training["final_model_trained_on_all_videos"],
        "training_seconds": training["training_seconds"],
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "load": load_average(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=str(ROOT / "data" / "learning-curve"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--arch", default="attention-light")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-masked", action="store_true")
    parser.add_argument(
        "--test-seed",
        type=int,
        default=TEST_SEED,
        help="score on clips of this seed instead (choose settings on one seed, report another)",
    )
    parser.add_argument(
        "--warm-start",
        default=None,
        metavar="BUNDLE",
        help="start the sound encoder from this bundle (CNN types)",
    )
    args = parser.parse_args(argv)
    work = Path(args.work)
    results = {
        "arch": args.arch,
        "epochs": args.epochs,
        "cores": os.cpu_count(),
        "warm_start": args.warm_start,
        "test": f"{TEST_CLIPS} clips, seed {args.test_seed}",
        "points": [],
        "timing": {},
    }
    test = render(
        work / ("test" if args.test_seed == TEST_SEED else f"test-{args.test_seed}"),
        TEST_CLIPS,
        args.test_seed,
    )
    pools = [render(work / f"pool-{r}", POOL_CLIPS, POOL_SEED + r) for r in range(args.repeats)]

    if not args.skip_timing:
        spec = subset_csv(pools[0], 40, "timing-40")
        with tempfile.TemporaryDirectory(prefix="learning-curve-cache-") as cache:
            for label in ("from_raw_videos", "from_cached_features"):
                out = work / "models" / f"timing-{label}"
                shutil.rmtree(out, ignore_errors=True)
                results["timing"][label] = timed_cli(
                    [
                        "train",
                        "--data",
                        str(spec),
                        "--arch",
                        args.arch,
                        "--out",
                        str(out),
                        "--epochs",
                        str(args.epochs),
                    ],
                    Path(cache),
                )
                print(label, results["timing"][label], flush=True)
                save(results, args.json)

    from annotator.ml.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    for size in args.sizes:
        for repeat, pool in enumerate(pools):
            spec = subset_csv(pool, size, f"first-{size}")
            tag = f"{args.arch}{'-warm' if args.warm_start else ''}-n{size}-r{repeat}"
            point = one_point(
                spec,
                test,
                work / "models" / tag,
                args.arch,
                args.epochs,
                seed=repeat,
                warm_start=args.warm_start,
            )
            point.update(clips=size, repeat=repeat)
            results["points"].append(point)
            print(json.dumps(point), flush=True)
            save(results, args.json)
    for repeat, pool in enumerate([] if args.skip_masked else pools[:1]):
        spec = subset_csv(pool, 40, "first-40-third-from-a-model", corrupt=True)
        point = one_point(
            spec, test, work / "models" / "masked", args.arch, args.epochs, seed=repeat
        )
        point.update(clips=40, repeat=repeat, masked_third=True)
        results["points"].append(point)
        print(json.dumps(point), flush=True)
        save(results, args.json)
    print_table(results)
    return 0


def save(results: dict, path) -> None:
    """Written after every point, so a run stopped half-way keeps what it measured."""
    if path:
        Path(path).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def print_table(results: dict) -> None:
    import numpy as np

    print(
        "\n| labelled clips | per-second accuracy on 20 test clips (each repeat) | mean |"
        " training time (CPU s) |"
    )
    print("|---|---|---|---|")
    sizes = sorted({p["clips"] for p in results["points"] if not p.get("masked_third")})
    for size in sizes:
        points = [p for p in results["points"] if p["clips"] == size and not p.get("masked_third")]
        accuracies = [p["accuracy"] for p in points if "accuracy" in p]
        refused = [p for p in points if "refused" in p]
        cells = ", ".join(f"{a:.3f}" for a in accuracies) + (
            f" ({len(refused)} refused)" if refused else ""
        )
        cpu = np.mean([p["cpu_seconds"] for p in points if "cpu_seconds" in p] or [0])
        mean = f"{np.mean(accuracies):.3f}" if accuracies else "—"
        print(f"| {size} | {cells} | {mean} | {cpu:.0f} |")
    for p in results["points"]:
        if p.get("masked_third"):
            print(f"| 40, a third of the rows from a model (masked) | {p.get('accuracy')} | | |")


if __name__ == "__main__":
    sys.exit(main())
