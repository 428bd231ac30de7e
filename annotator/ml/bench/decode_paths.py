"""`bench --paths`: each decode path in one run, beside ffmpeg alone decoding the same frames.

Two folders of clips rendered alike (640x360, 30 fps, H.264 + AAC 44.1 kHz stereo), differing
only in their GOP: x264 `-g 30` puts a keyframe in every second, so they take the keyframes-only
path; x264's default GOP (a keyframe every 250 frames) takes the reference-frames path. For each
folder: a fresh `annotate FOLDER` (2 jobs, start-up included, empty cache) and the decode floor
of that path (ffmpeg decoding what the path decodes, two at a time, no model); a cold `annotate`
of one clip. On the keyframe clips `annotate` runs a second time on the full-decode path
(AV_ANNOTATOR_DECODE=full), and the labels of the two runs are compared second by second.
With `held_out` the samples and that many held-out demo clips (seed 9001) are re-encoded with a
keyframe a second and every shipped bundle that sees pictures labels them both ways.
"""

from __future__ import annotations

import csv
import logging
import os
import resource
import tempfile
from pathlib import Path

from ...core.keyframes import DECODE_ENV, KEYFRAMES
from ...core.media import probe
from ..bundle import PROJECT_ROOT, ModelBundle, list_bundles
from .agreement import label_agreement, reencode_keyframe_every_second
from .end_to_end import annotate_end_to_end
from .measures import CLIP_FPS, cold_start, decode_floor, generate_bench_clips, machine

log = logging.getLogger(__name__)

# Path name -> x264 options of the clips that take it.
PATH_CLIPS = {KEYFRAMES: ("-g", str(CLIP_FPS)), "reference": ()}
HELD_OUT_SEED = 9001  # the shipped bundles' first held-out set (scripts/train_shipped_models.sh)


def _labels(csv_path: str) -> dict:
    with open(csv_path, newline="", encoding="utf-8") as handle:
        return {(row["video"], row["second"]): row["label"] for row in csv.DictReader(handle)}


def csv_agreement(first_csv: str, second_csv: str) -> float:
    """Share of (video, second) rows whose label is the same in both per-second CSVs."""
    first, second = _labels(first_csv), _labels(second_csv)
    return sum(first[k] == second.get(k) for k in first) / max(1, len(first))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _annotate(folder: Path, bundle: ModelBundle, work: Path, name: str, environment=None) -> dict:
    """annotate_end_to_end, with the CPU seconds the process and its ffmpeg children used."""
    before = _children_cpu()
    run = annotate_end_to_end(folder, bundle, work, name=name, environment=environment)
    return {**run, "cpu_s": _children_cpu() - before}


def _floor(clips: list[Path], bundle: ModelBundle, decoding: str) -> dict:
    before = _children_cpu()
    floor = decode_floor(clips, bundle, decoding)
    # decode_floor runs every clip twice (alone, then two at a time): half is one pass's CPU.
    return {**floor, "cpu_s": (_children_cpu() - before) / 2}


def measure_path(name: str, folder: Path, bundle: ModelBundle, work: Path) -> dict:
    """One decode path on the clips in `folder` (which must take it): a fresh annotate FOLDER,
    the floor of the same path, a cold annotate of one clip; on the keyframes path also the
    full decode of the same clips and the share of seconds whose labels agree."""
    clips = sorted(folder.glob("*.mp4"))
    video_seconds = sum(probe(clip).duration for clip in clips)
    log.info("%s path: annotate FOLDER, then the decode floor", name)
    run = _annotate(folder, bundle, work, name)
    floor = _floor(clips, bundle, name)
    (work / f"cold-{name}").mkdir(exist_ok=True)
    cold = cold_start(clips[0], bundle, work / f"cold-{name}")
    result = {
        "clips": len(clips),
        "video_seconds": video_seconds,
        "annotate_wall_s": run["wall_s"],
        "annotate_cpu_s": run["cpu_s"],
        "annotate_peak_memory_mb": run["peak_memory_mb"],
        "floor_wall_s": floor["folder_wall_s"],
        "floor_cpu_s": floor["cpu_s"],
        "times_real_time": video_seconds / run["wall_s"],
        "floor_times_real_time": video_seconds / floor["folder_wall_s"],
        "times_floor": run["wall_s"] / floor["folder_wall_s"],
        "cold_start_s": cold["seconds"],
        "csv": run["csv"],
    }
    if name == KEYFRAMES:
        full = _annotate(folder, bundle, work, "full", {DECODE_ENV: "full"})
        full_floor = _floor(clips, bundle, "reference")
        result["full_decode"] = {
            "annotate_wall_s": full["wall_s"],
            "annotate_cpu_s": full["cpu_s"],
            "times_real_time": video_seconds / full["wall_s"],
            "floor_wall_s": full_floor["folder_wall_s"],
            "floor_cpu_s": full_floor["cpu_s"],
            "labels_agree": csv_agreement(run["csv"], full["csv"]),
        }
    return result


def held_out_agreement(held_out: int, work: Path) -> dict:
    """Label agreement of the paths, per shipped bundle that sees pictures, on the samples and
    `held_out` demo clips, all re-encoded with a keyframe every second."""
    from ...core.demo.demo_data import generate_demo_data

    sources = sorted((PROJECT_ROOT / "resources" / "samples").glob("*.mp4"))
    if held_out:
        demo = work / "held-out"
        generate_demo_data(demo, clips=held_out, seed=HELD_OUT_SEED)
        sources += sorted(demo.glob("*.mp4"))
    target = work / "held-out-g-fps"
    target.mkdir(parents=True, exist_ok=True)
    clips = [reencode_keyframe_every_second(clip, target / clip.name) for clip in sources]
    shipped = [b for b in list_bundles(for_videos=True) if "visual" in b.modalities]
    return {
        "clips": len(clips),
        "bundles": {b.tag: label_agreement(clips, b) for b in shipped},
    }


def measure_paths(
    count: int, bundle: ModelBundle, seconds: float, work: Path, held_out: int | None = None
) -> dict:
    """The `bench --paths` report (plain numbers)."""
    report = {}
    for name, encoder_args in PATH_CLIPS.items():
        log.info("%s path: rendering %d clips", name, count)
        folder = work / f"clips-{name}"
        generate_bench_clips(folder, count, seconds, encoder_args)
        report[name] = measure_path(name, folder, bundle, work)
    if held_out is not None:
        report["agreement"] = held_out_agreement(held_out, work)
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def _path_row(label: str, part: dict, floor_cpu: float, floor_wall: float) -> str:
    seconds = part["video_seconds"]
    return (
        f"  {label:<38}{seconds / part['annotate_wall_s']:>9.1f}{part['annotate_cpu_s']:>8.1f}"
        f"{seconds / floor_wall:>11.1f}{floor_cpu:>8.1f}{part['annotate_wall_s'] / floor_wall:>9.2f}"
    )


def format_paths(report: dict) -> list[str]:
    """The decode-path rows of the bench table: annotate and the floor of the same path, each
    as times real time (wall) and CPU seconds (the process with its ffmpeg children)."""
    rows = [
        f"  {'fresh annotate FOLDER, 2 jobs':<38}{'x real':>9}{'CPU s':>8}"
        f"{'floor x rt':>11}{'CPU s':>8}{'x floor':>9}",
    ]
    for name, gop in ((KEYFRAMES, "x264 -g 30"), ("reference", "x264 default GOP")):
        part = report[name]
        rows.append(_path_row(f"{name} ({gop})", part, part["floor_cpu_s"], part["floor_wall_s"]))
    keyframes = report[KEYFRAMES]
    full = keyframes["full_decode"]
    as_full = {**keyframes, **{k: full[k] for k in ("annotate_wall_s", "annotate_cpu_s")}}
    rows.append(
        _path_row(
            "full decode of the -g 30 clips", as_full, full["floor_cpu_s"], full["floor_wall_s"]
        )
    )
    rows += [
        f"  cold annotate of one clip: {keyframes['cold_start_s']:.2f} s (keyframes), "
        f"{report['reference']['cold_start_s']:.2f} s (reference)",
        f"  labels, keyframes vs full decode on the -g 30 clips: "
        f"{100 * full['labels_agree']:.1f} % of seconds agree",
    ]
    agreement = report.get("agreement")
    for tag, shares in (agreement or {}).get("bundles", {}).items():
        visual = shares["visual_label"]
        rows.append(
            f"  labels on {agreement['clips']} samples + held-out clips (-g fps), {tag}: "
            f"{100 * shares['label']:.1f} % agree"
            + (f" (visual head {100 * visual:.1f} %)" if visual is not None else "")
            + f" over {shares['seconds']} s"
        )
    return rows


def paths_report(count: int, bundle: ModelBundle, seconds: float, held_out: int | None) -> dict:
    """`bench --paths`: the machine, then measure_paths in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="av-annotator-bench-paths-") as folder:
        report = {"machine": machine(), "model": bundle.tag, "clips": count}
        report.update(measure_paths(count, bundle, seconds, Path(folder), held_out))
    return report


def format_paths_report(report: dict, seconds: float) -> str:
    machine_info, count = report["machine"], report["clips"]
    return "\n".join(
        [
            f"bench --paths: {count} clips of {seconds:g} s (640x360, 30 fps, H.264 + AAC) per "
            f"path; model {report['model']}",
            f"machine: {machine_info['cpu']}, {machine_info['cores']} cores; load average "
            f"{machine_info['load_average'][0]} at start, {report['load_average_at_end'][0]} at end",
            "",
            *format_paths(report),
        ]
    )
