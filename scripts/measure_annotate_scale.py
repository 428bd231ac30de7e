"""Measure `annotate` on a video library and on a long recording (issue 18, the command line).

For each library size (default 200 and 2,000 files, built by scripts/make_library.py: hard links
of the samples in nested folders with spaces and unicode in their names):
1. `annotate ROOT --recursive` with an empty feature cache: wall time, peak memory of the
   command and its ffmpeg children (PSS, sampled), rows written, the cache's size after;
2. the same command with another empty cache, interrupted (SIGINT, as Ctrl-C) once half the
   videos are finished, then run again: how many videos were kept, how many the model ran on in
   the re-run, and whether the final CSV is byte for byte the uninterrupted run's (every row
   once).
For the long recording (default 120 minutes, the samples concatenated):
3. `annotate FILE` with an empty cache: wall time, peak memory, the longest gap between two
   lines on stderr while it runs (progress inside the video);
4. the same interrupted at half-way by its own progress lines, then run again: the chunks of
   features kept in the cache, the re-run's first progress line and wall time.

    python scripts/measure_annotate_scale.py [--files 200 2000] [--long-minutes 120]
                                             [--jobs 2] [--work DIR] [--json]

Prints Markdown (or JSON). Timings depend on the machine's load: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_library import make_long_recording, make_short_files, sample_clips  # noqa: E402

from annotator.core.feature_cache import CACHE_ENV, FeatureCache, format_size  # noqa: E402
from annotator.core.finished_videos import journal_folder  # noqa: E402
from annotator.ml.bench import measures  # noqa: E402
from annotator.ml.bench.measures import MemoryWatch  # noqa: E402

measures.MEMORY_SAMPLE_SECONDS = 0.2  # PSS of a process tree costs CPU: sample 5 times a second
SAMPLES = ROOT / "resources" / "samples"
_PROGRESS = re.compile(r"annotate: .* (\d+)/(\d+) s of video")


class AnnotateRun:
    """`python main.py annotate ...` in a fresh process: its stderr lines with their times."""

    def __init__(self, args: list[str], cache: Path):
        env = {**os.environ, CACHE_ENV: str(cache), "PYTHONPATH": str(ROOT)}
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "annotate", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self.stdout = ""
        self.watch = MemoryWatch(self.process.pid).__enter__()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append((time.monotonic() - self.started, line.rstrip("\n")))

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def wait(self) -> dict:
        self.stdout = self.process.stdout.read()
        code = self.process.wait()
        self.watch.__exit__()
        self._reader.join()
        return {
            "exit": code,
            "wall_s": round(time.monotonic() - self.started, 1),
            "peak_mb": round(self.watch.peak_mb),
        }

    def progress(self) -> list[tuple[float, int, int]]:
        found = [(t, _PROGRESS.search(line)) for t, line in self.lines]
        return [(t, int(m[1]), int(m[2])) for t, m in found if m]


def _rows(csv: Path) -> int:
    with open(csv, encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1


def _resumed(stdout: str) -> tuple[int, int] | None:
    match = re.search(r"resumed: (\d+) video\(s\) .* the model ran on (\d+)", stdout)
    return (int(match[1]), int(match[2])) if match else None


def _sample_of(video: str) -> int:
    """Which sample a library file links to: make_library names file i `... {i:05d}.mp4` and
    links it to sample i modulo the number of samples."""
    return int(re.search(r"(\d{5})\.\w+$", video)[1]) % len(sample_clips(SAMPLES))


def check_rows(csv: Path, reference: Path) -> dict:
    """Every row once: each video's rows are exactly those of the sample it links to (taken
    from `reference`, another run's CSV of links of the same samples)."""
    import pandas as pd

    def by_sample(path):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        return table, {
            video: rows.drop(columns="video").reset_index(drop=True)
            for video, rows in table.groupby("video", sort=False)
        }

    table, videos = by_sample(csv)
    _ref_table, ref_videos = by_sample(reference)
    samples = {}
    for video, rows in ref_videos.items():
        samples.setdefault(_sample_of(video), rows)
    wrong = [v for v, rows in videos.items() if not rows.equals(samples[_sample_of(v)])]
    return {
        "videos": len(videos),
        "rows": len(table),
        "duplicated_rows": int(table.duplicated(["video", "second"]).sum()),
        "videos_whose_rows_differ_from_their_sample": len(wrong),
    }


def measure_library(work: Path, files: int, jobs: int, full_run: bool = True) -> dict:
    library = work / f"library-{files}"
    if not library.exists():
        make_short_files(library, sample_clips(SAMPLES), files, (1, 5), 0)
    common = [str(library), "--recursive", "--jobs", str(jobs)]
    full_csv, cache = work / f"full-{files}.csv", work / f"cache-full-{files}"
    full = {}
    if full_run:
        run = AnnotateRun([*common, "--out", str(full_csv)], cache)
        full = run.wait()
        full["rows"] = _rows(full_csv)
        full["cache"] = format_size(FeatureCache(cache).usage().bytes)

    resumed_csv, cache = work / f"resumed-{files}.csv", work / f"cache-resumed-{files}"
    run = AnnotateRun([*common, "--out", str(resumed_csv)], cache)
    journal = journal_folder(resumed_csv)
    while run.process.poll() is None and (
        not journal.is_dir() or len(list(journal.glob("*.csv"))) < files // 2
    ):
        time.sleep(0.2)
    run.interrupt()
    stopped = run.wait()
    kept = len(list(journal.glob("*.csv")))
    rerun = AnnotateRun([*common, "--out", str(resumed_csv)], cache)
    again = rerun.wait()
    kept_reported, labelled = _resumed(rerun.stdout) or (0, files)
    reference = full_csv if full_run else work / "full-200.csv"
    return {
        "files": files,
        "full": full,
        "interrupted": {**stopped, "videos_kept": kept},
        "rerun": {
            **again,
            "videos_resumed": kept_reported,
            "videos_the_model_ran_on": labelled,
            "csv_identical_to_full_run": full_run
            and resumed_csv.read_bytes() == full_csv.read_bytes(),
            "rows": _rows(resumed_csv),
            "check": check_rows(resumed_csv, reference) if reference.exists() else None,
            "cache": format_size(FeatureCache(cache).usage().bytes),
        },
    }


def seed_journal(library: Path, out_csv: Path, reference: Path, leave: int) -> dict:
    """Stand in for the rest of an interrupted run that the time did not allow: every file of the
    library but the last `leave` that has no rows in the journal yet gets the rows of the sample
    it links to (from `reference`, a real run's CSV; check_rows shows links of one sample get
    the same rows), written through the journal as the batch writes them."""
    from annotator.core.csv_io import read_per_second_csv
    from annotator.core.finished_videos import FinishedVideos, VideoSummary
    from annotator.core.media_files import collect_videos
    from annotator.core.paths import video_path_relative_to
    from annotator.ml.bundle import default_bundle_name, load_bundle

    files, _problems, _skipped = collect_videos([library], True)
    journal = FinishedVideos(journal_folder(out_csv), load_bundle(default_bundle_name()).tag)
    samples = {}
    for video, rows in read_per_second_csv(reference).groupby("video", sort=False):
        samples.setdefault(_sample_of(video), rows)
    real = seeded = 0
    for path in files[: len(files) - leave]:
        name = video_path_relative_to(path, out_csv)
        if journal.summary(name, path) is not None:
            real += 1
            continue
        rows = samples[_sample_of(name)].assign(video=name).reset_index(drop=True)
        journal.save(name, path, rows, VideoSummary.of(name, path, rows))
        seeded += 1
    return {"finished_by_the_interrupted_run": real, "seeded": seeded, "left": leave}


def measure_seeded_rerun(work: Path, files: int, jobs: int, leave: int = 20) -> dict:
    """The re-run of an interrupted `files`-file batch, its journal completed by seed_journal."""
    library, out = work / f"library-{files}", work / f"resumed-{files}.csv"
    seeding = seed_journal(library, out, work / "full-200.csv", leave)
    common = [str(library), "--recursive", "--jobs", str(jobs)]
    rerun = AnnotateRun([*common, "--out", str(out)], work / f"cache-resumed-{files}")
    again = rerun.wait()
    kept_reported, labelled = _resumed(rerun.stdout) or (0, files)
    return {
        "files": files,
        "journal_before": seeding,
        "rerun": {
            **again,
            "videos_resumed": kept_reported,
            "videos_the_model_ran_on": labelled,
            "rows": _rows(out),
            "check": check_rows(out, work / "full-200.csv"),
        },
    }


def _longest_gap(run: AnnotateRun, until: float) -> dict:
    """The longest time without a line on stderr, from the start to `until`, and the line that
    ended it (None: the run's end)."""
    marks = [(0.0, "(start)")] + [(t, ln) for t, ln in run.lines if t <= until] + [(until, None)]
    gap, ended = max(((b[0] - a[0], b[1]) for a, b in zip(marks, marks[1:])), key=lambda g: g[0])
    return {"seconds": round(gap, 1), "ended_by": ended}


def measure_long(work: Path, minutes: float, full_run: bool = True) -> dict:
    recording = work / "long recordings" / f"recording {minutes:g} min – ünïcode.mp4"
    if not recording.exists():
        recording = make_long_recording(work, sample_clips(SAMPLES), minutes)
    cache, full = work / "cache-long-full", {}
    if full_run:
        run = AnnotateRun([str(recording), "--out", str(work / "long-full.csv")], cache)
        full = run.wait()
        full["longest_silence_s"] = _longest_gap(run, full["wall_s"])
        full["progress_lines"] = len(run.progress())
        full["cache"] = format_size(FeatureCache(cache).usage().bytes)

    cache, out = work / "cache-long-resumed", work / "long-resumed.csv"
    run = AnnotateRun([str(recording), "--out", str(out)], cache)
    while run.process.poll() is None and not any(2 * d >= t for _s, d, t in run.progress()):
        time.sleep(0.2)
    run.interrupt()
    stopped = run.wait()
    stopped["longest_silence_s"] = _longest_gap(run, stopped["wall_s"])
    stopped["last_progress_lines"] = [ln for _t, ln in run.lines if _PROGRESS.search(ln)][-1:]
    chunks = {m: len(list(cache.glob(f"*/*.{m}.npz"))) for m in ("audio", "visual")}
    rerun = AnnotateRun([str(recording), "--out", str(out)], cache)
    again = rerun.wait()
    lines = [line for _t, line in rerun.lines if _PROGRESS.search(line)]
    return {
        "minutes": minutes,
        "full": full,
        "interrupted": {**stopped, "chunks_cached": chunks},
        "rerun": {
            **again,
            "longest_silence_s": _longest_gap(rerun, again["wall_s"]),
            "progress_lines": len(lines),
            "first_progress_lines": lines[:2],
            "last_progress_lines": lines[-2:],
            "rows": _rows(out),
            "csv_identical_to_full_run": full_run
            and out.read_bytes() == (work / "long-full.csv").read_bytes(),
        },
    }


def measure_long_rerun(work: Path, minutes: float, cache: Path) -> dict:
    """The re-run alone, on the cache an interrupted run left (`--long-rerun CACHE`)."""
    recording = work / "long recordings" / f"recording {minutes:g} min – ünïcode.mp4"
    chunks = {m: len(list(cache.glob(f"*/*.{m}.npz"))) for m in ("audio", "visual")}
    run = AnnotateRun([str(recording), "--out", str(work / "long-rerun.csv")], cache)
    again = run.wait()
    lines = [line for _t, line in run.lines if _PROGRESS.search(line)]
    return {
        "minutes": minutes,
        "chunks_cached_before": chunks,
        "rerun": {
            **again,
            "longest_silence_s": _longest_gap(run, again["wall_s"]),
            "progress_lines": len(lines),
            "first_progress_lines": lines[:2],
            "last_progress_lines": lines[-2:],
            "rows": _rows(work / "long-rerun.csv"),
            "cache": format_size(FeatureCache(cache).usage().bytes),
        },
    }


def markdown(report: dict) -> str:
    lines = [f"load average before: {report['load']}", ""]
    lines += [
        "| files | wall (s) | peak memory (MB) | rows | cache after | interrupted: kept | "
        "re-run: resumed / model ran on | re-run wall (s) | CSV identical |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for lib in report["libraries"]:
        full, rerun = lib["full"], lib["rerun"]
        lines.append(
            f"| {lib['files']} | {full.get('wall_s', '-')} | {full.get('peak_mb', '-')} | "
            f"{full.get('rows', '-')} | {full.get('cache', '-')} | "
            f"{lib['interrupted']['videos_kept']} | "
            f"{rerun['videos_resumed']} / {rerun['videos_the_model_ran_on']} | "
            f"{rerun['wall_s']} | {rerun['csv_identical_to_full_run']} |"
        )
    lines += ["", "Each run in full:", "```"]
    lines += [json.dumps(lib, ensure_ascii=False) for lib in report["libraries"]]
    lines.append("```")
    if report.get("seeded"):
        lines += ["", "Re-run of a 2,000-file batch, journal completed by seed_journal:", "```"]
        lines.append(json.dumps(report["seeded"], ensure_ascii=False))
        lines.append("```")
    if report.get("long"):
        long = report["long"]
        lines += ["", f"Long recording ({long['minutes']:g} min):", "```"]
        lines.append(json.dumps(long, indent=1, ensure_ascii=False))
        lines.append("```")
    lines.append(f"load average after: {report['load_after']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, nargs="*", default=[200, 2000])
    parser.add_argument("--long-minutes", type=float, default=120, help="0: no long recording")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="kept (default: a temp folder)")
    parser.add_argument(
        "--interrupted-only",
        type=int,
        nargs="*",
        default=[],
        metavar="FILES",
        help="for these sizes skip the uninterrupted run (rows checked against the samples' "
        "rows from the 200-file run instead)",
    )
    parser.add_argument(
        "--seeded-rerun",
        type=int,
        default=None,
        metavar="FILES",
        help="re-run the FILES-file library's interrupted batch, its journal completed from the "
        "200-file run's rows but for the last 20 files (see seed_journal)",
    )
    parser.add_argument(
        "--long-rerun",
        type=Path,
        default=None,
        metavar="CACHE",
        help="only re-run the long recording on this cache (left by an interrupted run)",
    )
    parser.add_argument(
        "--long-no-full",
        action="store_true",
        help="skip the long recording's uninterrupted run (only interrupted, then re-run)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="annotate-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    report = {"load": os.getloadavg(), "jobs": args.jobs, "libraries": []}
    try:
        if args.seeded_rerun:
            report["seeded"] = measure_seeded_rerun(work, args.seeded_rerun, args.jobs)
        for files in args.files:
            full_run = files not in args.interrupted_only
            report["libraries"].append(measure_library(work, files, args.jobs, full_run))
            print(json.dumps(report["libraries"][-1]), file=sys.stderr)
        if args.long_rerun:
            report["long"] = measure_long_rerun(work, args.long_minutes, args.long_rerun)
        elif args.long_minutes:
            report["long"] = measure_long(work, args.long_minutes, not args.long_no_full)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, indent=1, ensure_ascii=False) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
