"""How far the visual features move when only reference frames are decoded, and what it saves.

For every video under the given folders, extracts the per-second visual embeddings twice, with
every frame decoded ("all") and with reference frames only ("reference"), whatever the video's
frame rate, and reports: the share of seconds whose embedding is bit-identical, the cosine
similarity and the relative L2 change of the others, and ffmpeg's CPU time for each decoding.
With `--evaluate MODEL...` and a demo-data folder (videos + labels.csv), it also runs `evaluate`
for each model once per decoding (each with a fresh feature cache) and reports the held-out
per-second accuracy of both and of each head: the effect on labels.

    .venv/bin/python main.py demo-data data/heldout --clips 60 --seed 31337
    .venv/bin/python scripts/measure_decoding.py data/heldout --evaluate attention fusion visual
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from annotator.core.decode import iter_frame_seconds  # noqa: E402
from annotator.core.feature_cache import FeatureCache  # noqa: E402
from annotator.core.media import probe  # noqa: E402
from annotator.core.media_files import collect_videos  # noqa: E402
from annotator.core.table import count_seconds  # noqa: E402
from annotator.ml import extract  # noqa: E402
from annotator.ml.bundle import load_bundle  # noqa: E402
from annotator.ml.evaluation import evaluate  # noqa: E402
from annotator.ml.visual_features import extract_visual  # noqa: E402

DECODINGS = ("all", "reference")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def decode_cpu(path: Path, frames_decoded: str) -> float:
    """ffmpeg's CPU seconds to hand over one 224x224 frame per second of `path`."""
    before = _children_cpu()
    for _frames in iter_frame_seconds(path, 1, frames_decoded=frames_decoded):
        pass
    return _children_cpu() - before


def compare(paths: list[Path]) -> dict:
    identical = total = 0
    cosines, changes = [], []
    cpu = {decoding: 0.0 for decoding in DECODINGS}
    for path in paths:
        seconds = count_seconds(probe(path).duration)
        embeddings = {
            d: extract_visual(path, seconds, 1, frames_decoded=d)["visual"] for d in DECODINGS
        }
        for decoding in DECODINGS:
            cpu[decoding] += decode_cpu(path, decoding)
        a, b = embeddings["all"], embeddings["reference"]
        same = np.all(a == b, axis=1)
        identical += int(same.sum())
        total += len(a)
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        cosines += list((np.sum(a * b, axis=1) / np.maximum(norms, 1e-12))[~same])
        changes += list(
            (np.linalg.norm(a - b, axis=1) / np.maximum(np.linalg.norm(a, axis=1), 1e-12))[~same]
        )
    moved = np.array(cosines) if cosines else np.array([1.0])
    change = np.array(changes) if changes else np.array([0.0])
    return {
        "videos": len(paths),
        "seconds": total,
        "identical_seconds": identical,
        "moved_seconds": total - identical,
        "moved_cosine": {"mean": float(moved.mean()), "min": float(moved.min())},
        "moved_relative_l2": {"mean": float(change.mean()), "max": float(change.max())},
        "decode_cpu_seconds": cpu,
        "decode_cpu_saved": 1 - cpu["reference"] / max(cpu["all"], 1e-9),
    }


def accuracy(folder: str, models: list[str]) -> dict:
    """Held-out accuracy of each model with each decoding forced for every video."""
    chosen = extract.frames_decoded_for
    results = {}
    try:
        for decoding in DECODINGS:
            extract.frames_decoded_for = lambda _fps, d=decoding: d  # whatever the frame rate
            with tempfile.TemporaryDirectory(prefix="av-annotator-decoding-") as cache:
                for model in models:
                    report = evaluate(folder, load_bundle(model), cache=FeatureCache(cache))
                    results.setdefault(model, {})[decoding] = {
                        "per_second_accuracy": report["per_second_accuracy"],
                        "heads": report["heads"],
                        "seconds": report["seconds"],
                    }
    finally:
        extract.frames_decoded_for = chosen
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--evaluate",
        nargs="+",
        default=[],
        metavar="MODEL",
        help="also evaluate these bundles on FOLDER (a demo-data folder) both ways",
    )
    args = parser.parse_args()
    files, failures, _skipped = collect_videos(args.folders, True)
    if failures:
        print(f"unreadable: {failures}", file=sys.stderr)
    started = time.perf_counter()
    report = compare(files)
    if args.evaluate:
        report["accuracy"] = accuracy(args.folders[0], args.evaluate)
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"{report['videos']} videos, {report['seconds']} s: "
            f"{report['identical_seconds']} seconds bit-identical, "
            f"{report['moved_seconds']} moved (cosine mean {report['moved_cosine']['mean']:.4f}, "
            f"min {report['moved_cosine']['min']:.4f}; relative L2 mean "
            f"{report['moved_relative_l2']['mean']:.3f}, max "
            f"{report['moved_relative_l2']['max']:.3f}); ffmpeg CPU "
            f"{report['decode_cpu_seconds']['all']:.2f} s -> "
            f"{report['decode_cpu_seconds']['reference']:.2f} s "
            f"({100 * report['decode_cpu_saved']:.0f} % less)"
        )
        for model, by_decoding in report.get("accuracy", {}).items():
            cells = "; ".join(
                f"{d}: {r['per_second_accuracy']} (heads {r['heads']})"
                for d, r in by_decoding.items()
            )
            print(f"  {model}: {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
