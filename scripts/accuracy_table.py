"""Print docs/accuracy.md's accuracy and calibration tables from `evaluate --json` reports.

Usage: python scripts/accuracy_table.py docs/evaluation/*.json
Reports of one model on several held-out sets become one row per set, each accuracy with its
95 % bootstrap interval over videos.
"""

import json
import sys


def _cell(value, interval=None) -> str:
    if value is None:
        return "—"
    if interval:
        return f"{value:.3f} ({interval[0]:.3f}–{interval[1]:.3f})"
    return f"{value:.3f}"


def _seed(report) -> str:
    data = report.get("data", "")
    return data.rstrip("/").rsplit("/", 1)[-1]


def main(paths) -> None:
    reports = []
    for path in paths:
        with open(path) as handle:
            reports.append(json.load(handle))
    print(
        "| model | held-out set | per-second accuracy | event seconds | drop-out clips "
        "| audio dropped | visual dropped |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in reports:
        ci, dropout = r.get("accuracy_intervals_95", {}), r["dropout_clips"]
        ci_drop = ci.get("dropout_clips", {})
        print(
            f"| {r['model']} | {_seed(r)} ({r['videos']} clips, {dropout['videos']} drop-out) "
            f"| {_cell(r['per_second_accuracy'], ci.get('per_second_accuracy'))} "
            f"| {_cell(r['event_second_accuracy'], ci.get('event_second_accuracy'))} "
            f"| {_cell(dropout['per_second_accuracy'], ci_drop.get('per_second_accuracy'))} "
            f"| {_cell(dropout['by_stream'].get('audio'), ci_drop.get('by_stream', {}).get('audio'))} "
            f"| {_cell(dropout['by_stream'].get('visual'), ci_drop.get('by_stream', {}).get('visual'))} |"
        )
    print()
    print(
        "| model | held-out set | ECE fused | ECE audio head | ECE visual head | ECE of the CSV "
        "confidence | segment F1 / ER (micro) | event F1 (micro) | unfamiliar seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in reports:
        ece, sed, fam = (
            r["expected_calibration_error"],
            r["sound_event_detection"],
            r["familiarity"],
        )
        seg, ev = sed["segment_based"]["micro"], sed["event_based"]["micro"]
        share = fam.get("unfamiliar_share")
        print(
            f"| {r['model']} | {_seed(r)} | {_cell(ece.get('event'))} | {_cell(ece.get('audio'))} "
            f"| {_cell(ece.get('visual'))} | {_cell(ece.get('csv_confidence'))} "
            f"| {_cell(seg['f1'])} / {_cell(seg['error_rate'])} | {_cell(ev['f1'])} "
            f"| {'—' if share is None else f'{share:.1%}'} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
