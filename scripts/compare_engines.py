"""The local engine and the Ray engine on the same generated clips: the same rows, and how fast.

Renders `--clips` clips (640x360, 30 fps, H.264 + AAC, `--seconds` long: the bench's clips),
then runs a fresh `python main.py annotate FOLDER --no-cache` with each engine (2 jobs; a local
2-CPU Ray cluster), start-up included, and compares the two CSVs: byte for byte, and after
sorting by video and second. With `--rounds N` the two run back to back N times (the machine is
shared: compare each round's pair, and the CPU seconds where wall time is noisy); each run's load
average is taken as it starts. Beside them, the decode floor: ffmpeg decoding every frame of the
same files (1 frame/s out at 224x224, plus 16 kHz mono audio), two files at a time, the yardstick
of issue 14 (annotate within 1.5x of it, at 60x real time or more). Prints one JSON object.

    .venv/bin/python scripts/compare_engines.py --clips 200 --seconds 3 [--folder DIR]
    .venv/bin/python scripts/compare_engines.py --clips 60 --seconds 10    # issue 14's run
    .venv/bin/python scripts/compare_engines.py --clips 60 --seconds 10 --rounds 2  # issue 23's

`--folder DIR` keeps (and reuses) the clips there; without it they live in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from annotator.ml.bench.end_to_end import annotate_end_to_end  # noqa: E402
from annotator.ml.bench.measures import decode_floor, generate_bench_clips, machine  # noqa: E402
from annotator.ml.bundle import default_bundle_name, load_bundle  # noqa: E402


def _sorted_rows(csv: str) -> pd.DataFrame:
    return pd.read_csv(csv).sort_values(["video", "second"]).reset_index(drop=True)


def _round(folder: Path, bundle, work: Path, number: int) -> dict:
    """Each engine once, back to back; Ray's throughput and CPU beside the local engine's."""
    runs = {}
    for engine in ("local", "ray"):
        load = round(os.getloadavg()[0], 2)
        run = annotate_end_to_end(folder, bundle, work, engine, name=f"{engine}-{number}")
        runs[engine] = {**run, "load_average_at_start": load}
    runs["ray_throughput_over_local"] = runs["local"]["wall_s"] / runs["ray"]["wall_s"]
    runs["ray_cpu_over_local"] = runs["ray"]["cpu_s"] / runs["local"]["cpu_s"]
    return runs


def compare(folder: Path, clips: int, seconds: float, work: Path, rounds: int = 1) -> dict:
    files = sorted(folder.glob("bench_*.mp4"))
    if len(files) != clips:
        files = generate_bench_clips(folder, clips, seconds)
    bundle = load_bundle(default_bundle_name())
    report = {"machine": machine(), "model": bundle.tag, "clips": clips, "seconds": seconds}
    report["rounds"] = [_round(folder, bundle, work, n + 1) for n in range(rounds)]
    runs = report["rounds"][0]
    video_seconds = clips * seconds
    floor = decode_floor(files, bundle)["folder_wall_s"]
    for engine in ("local", "ray"):
        for each in report["rounds"]:
            each[engine]["times_real_time"] = video_seconds / each[engine]["wall_s"]
            each[engine]["times_decode_floor"] = each[engine]["wall_s"] / floor
    report["runs"] = {engine: runs[engine] for engine in ("local", "ray")}  # the first round
    report["decode_floor_wall_s"] = floor
    reference = Path(runs["local"]["csv"]).read_bytes()
    report["identical_bytes"] = all(  # every run's CSV, of both engines, in every round
        Path(each[engine]["csv"]).read_bytes() == reference
        for each in report["rounds"]
        for engine in ("local", "ray")
    )
    report["identical_sorted"] = _sorted_rows(runs["local"]["csv"]).equals(
        _sorted_rows(runs["ray"]["csv"])
    )
    report["rows"] = len(pd.read_csv(runs["ray"]["csv"]))
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--folder", default=None)
    parser.add_argument("--rounds", type=int, default=1, help="engine pairs run back to back")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="av-annotator-engines-") as temporary:
        folder = Path(args.folder) if args.folder else Path(temporary) / "clips"
        folder.mkdir(parents=True, exist_ok=True)
        report = compare(folder, args.clips, args.seconds, Path(temporary), args.rounds)
    print(json.dumps(report, indent=2))
    return 0 if report["identical_sorted"] else 1


if __name__ == "__main__":
    sys.exit(main())
