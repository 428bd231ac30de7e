"""The local engine and the Ray engine on the same generated clips: the same rows, and how fast.

Renders `--clips` clips (640x360, 30 fps, H.264 + AAC, `--seconds` long: the bench's clips),
then runs a fresh `python main.py annotate FOLDER --no-cache` with each engine (2 jobs; a local
2-CPU Ray cluster), start-up included, and compares the two CSVs: byte for byte, and after
sorting by video and second. Beside them, the decode floor: ffmpeg decoding every frame of the
same files (1 frame/s out at 224x224, plus 16 kHz mono audio), two files at a time, the yardstick
of issue 14 (annotate within 1.5x of it, at 60x real time or more). Prints one JSON object.

    .venv/bin/python scripts/compare_engines.py --clips 200 --seconds 3 [--folder DIR]
    .venv/bin/python scripts/compare_engines.py --clips 60 --seconds 10    # issue 14's run

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


def compare(folder: Path, clips: int, seconds: float, work: Path) -> dict:
    files = sorted(folder.glob("bench_*.mp4"))
    if len(files) != clips:
        files = generate_bench_clips(folder, clips, seconds)
    bundle = load_bundle(default_bundle_name())
    report = {"machine": machine(), "model": bundle.tag, "clips": clips, "seconds": seconds}
    runs = {
        engine: annotate_end_to_end(folder, bundle, work, engine) for engine in ("local", "ray")
    }
    video_seconds = clips * seconds
    floor = decode_floor(files, bundle)["folder_wall_s"]
    for engine, run in runs.items():
        run["times_real_time"] = video_seconds / run["wall_s"]
        run["times_decode_floor"] = run["wall_s"] / floor
    report["runs"] = runs
    report["decode_floor_wall_s"] = floor
    report["identical_bytes"] = (
        Path(runs["local"]["csv"]).read_bytes() == Path(runs["ray"]["csv"]).read_bytes()
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="av-annotator-engines-") as temporary:
        folder = Path(args.folder) if args.folder else Path(temporary) / "clips"
        folder.mkdir(parents=True, exist_ok=True)
        report = compare(folder, args.clips, args.seconds, Path(temporary))
    print(json.dumps(report, indent=2))
    return 0 if report["identical_sorted"] else 1


if __name__ == "__main__":
    sys.exit(main())
