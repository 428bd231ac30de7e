"""Measure the decode paths on clips already rendered (bench --paths renders its own).

Usage: python scripts/measure_decode_paths.py KEYFRAME_FOLDER LONG_GOP_FOLDER [--model NAME]
       [--held-out N] [--json]
KEYFRAME_FOLDER holds clips with a keyframe every second (x264 -g = fps), LONG_GOP_FOLDER clips
with x264's default GOP; each is annotated fresh (2 jobs) beside the decode floor of its path.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.ml.bench.measures import machine  # noqa: E402
from annotator.ml.bench.decode_paths import (  # noqa: E402
    format_paths,
    held_out_agreement,
    measure_path,
)
from annotator.ml.bundle import default_bundle_name, load_bundle  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keyframe_folder", type=Path)
    parser.add_argument("long_gop_folder", type=Path)
    parser.add_argument("--model", default=None)
    parser.add_argument("--held-out", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    bundle = load_bundle(args.model or default_bundle_name())
    report = {"machine": machine(), "model": bundle.tag}
    with tempfile.TemporaryDirectory(prefix="decode-paths-") as folder:
        work = Path(folder)
        report["keyframes"] = measure_path("keyframes", args.keyframe_folder, bundle, work)
        report["reference"] = measure_path("reference", args.long_gop_folder, bundle, work)
        if args.held_out is not None:
            report["agreement"] = held_out_agreement(args.held_out, work)
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        load = report["machine"]["load_average"][0], report["load_average_at_end"][0]
        print(f"model {bundle.tag}; load average {load[0]} at start, {load[1]} at end")
        print("\n".join(format_paths(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
