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
from pathlib import Path

from ...core.keyframes import DECODE_ENV, KEYFRAMES
from ..bundle import PROJECT_ROOT, ModelBundle, list_bundles
from .agreement import label_agreement, reencode_keyframe_every_second
from .end_to_end import annotate_end_to_end
from .measures import CLIP_FPS, cold_start, decode_floor, generate_bench_clips

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


def _one_path(name: str, count: int, seconds: float, bundle: ModelBundle, work: Path) -> dict:
    folder = work / f"clips-{name}"
    log.info("%s path: rendering %d clips", name, count)
    clips = generate_bench_clips(folder, count, seconds, PATH_CLIPS[name])
    log.info("%s path: annotate FOLDER, then the decode floor", name)
    run = annotate_end_to_end(folder, bundle, work, name=name)
    floor = decode_floor(clips, bundle, name)
    (work / f"cold-{name}").mkdir(exist_ok=True)
    cold = cold_start(clips[0], bundle, work / f"cold-{name}")
    video_seconds = count * seconds
    result = {
        "annotate_wall_s": run["wall_s"],
        "annotate_peak_memory_mb": run["peak_memory_mb"],
        "floor_wall_s": floor["folder_wall_s"],
        "times_real_time": video_seconds / run["wall_s"],
        "floor_times_real_time": video_seconds / floor["folder_wall_s"],
        "times_floor": run["wall_s"] / floor["folder_wall_s"],
        "cold_start_s": cold["seconds"],
        "csv": run["csv"],
    }
    if name == KEYFRAMES:
        full = annotate_end_to_end(
            folder, bundle, work, name="full", environment={DECODE_ENV: "full"}
        )
        full_floor = decode_floor(clips, bundle, "reference")
        result["full_decode"] = {
            "annotate_wall_s": full["wall_s"],
            "times_real_time": video_seconds / full["wall_s"],
            "floor_wall_s": full_floor["folder_wall_s"],
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
    report = {name: _one_path(name, count, seconds, bundle, work) for name in PATH_CLIPS}
    if held_out is not None:
        report["agreement"] = held_out_agreement(held_out, work)
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def format_paths(report: dict, count: int, seconds: float) -> list[str]:
    """The decode-path rows of the bench table."""
    rows = [
        f"  {'decode path (fresh annotate FOLDER, 2 jobs)':<46}{'x real time':>12}"
        f"{'floor x rt':>12}{'x floor':>9}{'cold 1 clip':>13}",
    ]
    for name, gop in (("keyframes", "x264 -g 30"), ("reference", "x264 default GOP")):
        part = report[name]
        rows.append(
            f"  {f'{name} ({gop})':<46}{part['times_real_time']:>12.1f}"
            f"{part['floor_times_real_time']:>12.1f}{part['times_floor']:>9.2f}"
            f"{part['cold_start_s']:>11.2f} s"
        )
    full = report[KEYFRAMES]["full_decode"]
    video_seconds = count * seconds
    rows.append(
        f"  {'full decode of the same -g 30 clips':<46}{full['times_real_time']:>12.1f}"
        f"{video_seconds / full['floor_wall_s']:>12.1f}"
        f"{full['annotate_wall_s'] / full['floor_wall_s']:>9.2f}"
    )
    rows.append(
        f"  labels, keyframes vs full decode on the -g 30 clips: "
        f"{100 * full['labels_agree']:.1f} % of seconds agree"
    )
    agreement = report.get("agreement")
    if agreement:
        for tag, shares in agreement["bundles"].items():
            visual = shares["visual_label"]
            rows.append(
                f"  labels on {agreement['clips']} samples + held-out clips (-g fps), {tag}: "
                f"{100 * shares['label']:.1f} % agree"
                + (f" (visual head {100 * visual:.1f} %)" if visual is not None else "")
                + f" over {shares['seconds']} s"
            )
    return rows
