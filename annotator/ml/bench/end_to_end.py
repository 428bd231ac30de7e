"""`annotate` as a user runs it: a fresh `python main.py annotate FOLDER` from launch to exit,
start-up included, on the local engine or on a local Ray cluster (`--engine ray`).

The issue's yardstick for archives is this run: real time over wall time of the whole command,
beside the time ffmpeg alone needs to decode the same files. Memory is the process with all its
children (ffmpeg, and for Ray its raylet, object store and workers); CPU seconds are theirs too:
the kernel's count for the process and every descendant reaped through it, plus the last sampled
count of those that are not (a Ray cluster's workers and agents, children of its raylet: measured,
their seconds never reach the process's own count).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from ...core.feature_cache import CACHE_ENV
from ..bundle import ModelBundle
from ..engines import ENGINES
from .measures import ANNOTATE_JOBS, MAIN_SCRIPT, MemoryWatch


def bench_engines(cluster: bool) -> list[str]:
    """The registered engines the bench runs: every one, those joining a cluster only when asked
    (`bench --ray`), since they start one."""
    return [engine.name for engine in ENGINES.values() if cluster or not engine.takes_address]


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def annotate_end_to_end(
    folder: Path,
    bundle: ModelBundle,
    work: Path,
    engine: str = "local",
    name: str | None = None,
    environment: dict | None = None,
) -> dict:
    """Wall seconds, CPU seconds and peak memory of a fresh `annotate FOLDER --no-cache` (2
    jobs, or a local 2-CPU Ray cluster), and its CSV's path (to compare the engines' rows).
    `name` tells runs on one engine apart; `environment` is added to the process's (e.g. the
    decode path)."""
    name = name or engine
    out_csv = work / f"end-to-end-{name}.csv"
    command = [
        sys.executable,
        str(MAIN_SCRIPT),
        "annotate",
        str(folder),
        "--model",
        str(bundle.path),
        "--out",
        str(out_csv),
        "--no-cache",
        "--jobs",
        str(ANNOTATE_JOBS),
        "--engine",
        engine,
    ]
    env = {**os.environ, **(environment or {}), CACHE_ENV: str(work / f"end-to-end-cache-{name}")}
    log_path = work / f"end-to-end-{name}.log"
    cpu_before = _children_cpu()
    with open(log_path, "wb") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT
        )
        with MemoryWatch(process.pid) as memory:
            process.wait()
        seconds = time.perf_counter() - started
    if process.returncode != 0:
        text = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"annotate --engine {engine} failed ({process.returncode}): {text}")
    return {
        "wall_s": seconds,
        "cpu_s": _children_cpu() - cpu_before + memory.unreaped_cpu_s,
        "peak_memory_mb": memory.peak_mb,
        "csv": str(out_csv),
    }


def same_rows(first_csv: str, second_csv: str) -> bool:
    """Whether two per-second CSVs hold the same rows (byte for byte, as both engines write)."""
    return Path(first_csv).read_bytes() == Path(second_csv).read_bytes()
