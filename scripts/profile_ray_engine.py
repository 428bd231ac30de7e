"""Where the Ray engine's time goes, phase by phase, on clips already rendered (e.g. by
`compare_engines.py --folder DIR`): importing Ray, starting the local cluster, starting the
workers (process, imports, bundle), the videos (the first, then the rest), and stopping the
cluster; with the driver's CPU per video (unpacking each record) for the paper estimate of
docs/ray-engine.md. Prints one JSON object.

    .venv/bin/python scripts/profile_ray_engine.py DIR [--cpus 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from annotator.ml.bundle import default_bundle_name, load_bundle  # noqa: E402
from annotator.ml.engines import ray_engine  # noqa: E402


def profile(folder: Path, cpus: int, cache: Path) -> dict:
    clips = sorted(folder.glob("*.mp4"))
    bundle = load_bundle(default_bundle_name())
    phases, started = {}, time.perf_counter()

    def mark(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        phases[name] = round(now - started, 3)
        started = now

    ray = ray_engine._import_ray()
    mark("import_ray_s")
    ray_engine.connect(None, cpus)
    mark("start_local_cluster_s")
    workers, _files = ray_engine._start_workers(bundle, str(cache), use_cache=False)
    ray.get([worker.__ray_ready__.remote() for worker, _ in workers])
    mark("start_workers_s")
    todo = [{"index": i, "path": str(p), "name": p.name} for i, p in enumerate(clips)]
    finished, driver_cpu = [], 0.0
    for item, (failure, record) in ray_engine._finished_videos(todo, workers):
        before = time.thread_time()
        ray_engine._outcome(item, failure, record, None)
        driver_cpu += time.thread_time() - before
        finished.append(time.perf_counter())
        if len(finished) == 1:
            mark("first_video_s")
    mark("other_videos_s")
    ray.shutdown()
    mark("stop_cluster_s")
    rest = len(clips) - 1
    return {
        "clips": len(clips),
        "cpus": cpus,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "phases": phases,
        "total_s": round(sum(phases.values()), 2),
        "steady_s_per_video": round(phases["other_videos_s"] / max(1, rest), 4),
        "driver_cpu_s_per_video": round(driver_cpu / len(clips), 5),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--cache", default="/tmp/av-annotator-profile-cache")
    args = parser.parse_args()
    report = profile(Path(args.folder), args.cpus, Path(args.cache))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
