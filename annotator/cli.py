"""The command line: argparse subcommands over the same functions the app calls.

`main(argv)` returns the exit status, so tests call it without a subprocess.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from .core.errors import AnnotatorError
from .ml.model_types import model_type_names

log = logging.getLogger("annotator")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = PROJECT_ROOT / "resources" / "samples"
EXPORTS_DIR = PROJECT_ROOT / "exports"


class ProgressBar:
    """A one-line progress bar on stderr (a line per step when stderr is not a terminal)."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.started = time.time()
        self.tty = self.stream.isatty()

    def __call__(self, done: int, total: int, item="") -> None:
        width = 24
        filled = int(width * done / max(total, 1))
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.time() - self.started
        name = Path(str(item)).name[:40]
        line = f"{self.label} [{bar}] {done}/{total} {elapsed:5.1f}s {name}"
        if self.tty:
            self.stream.write("\r" + line.ljust(100) + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _add_annotate(sub) -> None:
    p = sub.add_parser("annotate", help="label every second of videos (files or folders)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--model", default=None, help="bundle name under models/ or a path "
                                                 "(default: the best installed bundle)")
    p.add_argument("--out", default=str(EXPORTS_DIR / "annotations.csv"),
                   help="per-second CSV to write (default: exports/annotations.csv)")
    p.add_argument("--segments", default=None, help="also write merged segments to this CSV")
    p.add_argument("--recursive", action="store_true", help="descend into sub-folders")
    p.add_argument("--jobs", type=int, default=2, help="videos decoded in parallel (default 2)")
    p.add_argument("--no-cache", action="store_true", help="recompute features (honest timing)")
    p.set_defaults(func=_cmd_annotate)


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a model type on a SPEC and save a bundle")
    p.add_argument("--data", required=True, metavar="SPEC")
    p.add_argument("--arch", required=True, choices=model_type_names())
    p.add_argument("--out", required=True, help="bundle folder, e.g. models/NAME")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--visual-fps", type=int, default=1, help="frames per second fed to the backbone")
    p.add_argument("--hidden", type=int, default=None, help="visual/audio/fusion hidden width")
    p.add_argument("--recurrent", choices=["gru", "lstm"], default=None)
    p.add_argument("--recurrent-units", type=int, default=None)
    p.add_argument("--dropout", type=float, default=None)
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--overwrite", action="store_true", help="replace a bundle already at --out")
    p.add_argument("--warm-start", default=None, metavar="BUNDLE",
                   help="start the audio encoder from this bundle's weights")
    p.add_argument("--refit", choices=["auto", "yes", "no"], default="auto",
                   help="train the final model again on every labelled video, for the epochs "
                        "that did best held out (auto: with fewer than 20 videos)")
    p.add_argument("--no-augment", action="store_true",
                   help="no time shifts, pasting, gain, noise or mixing (for comparison)")
    p.set_defaults(func=_cmd_train)


def _add_other(sub) -> None:
    p = sub.add_parser("evaluate", help="per-second accuracy of a bundle on a SPEC")
    p.add_argument("--data", required=True, metavar="SPEC")
    p.add_argument("--model", required=True)
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("--record", action="store_true",
                   help="write the result into the bundle's card as its held-out metrics")
    p.set_defaults(func=_cmd_evaluate)
    p = sub.add_parser("demo-data", help="render demo clips with per-second truth")
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--clips", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--class-set", choices=["demo", "novel"], default="demo",
                   help="demo: the shipped bundles' 8 classes; novel: 5 classes none of them "
                        "has met (to try training on your own labels)")
    p.set_defaults(func=_cmd_demo_data)
    p = sub.add_parser("models", help="installed bundles and their cards")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_models)
    p = sub.add_parser("bench", help="measure speed and memory against the research pipeline")
    p.add_argument("--clips", type=int, default=8)
    p.add_argument("--json", action="store_true")
    p.add_argument("--model", default=None, help="bundle to time (default: the default bundle)")
    p.set_defaults(func=_cmd_bench)
    p = sub.add_parser("gui", help="open the desktop app")
    p.add_argument("folder", nargs="?", default=None)
    p.set_defaults(func=_cmd_gui)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py", description="Label every second of local videos from sound and picture.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_annotate(sub)
    _add_train(sub)
    _add_other(sub)
    return parser


def _cmd_annotate(args) -> int:
    from .core.csv_io import write_per_second_csv, write_segments_csv
    from .core.feature_cache import FeatureCache
    from .core.table import PER_SECOND_COLUMNS, segments_from_table
    from .ml.batch import annotate_batch, collect_videos
    from .ml.bundle import default_bundle_name, load_bundle
    from .ml.prediction import video_column_name

    import pandas as pd

    bundle = load_bundle(args.model or default_bundle_name())
    files, failures, skipped = collect_videos(args.paths, args.recursive)
    out = Path(args.out)
    print(f"annotating {len(files)} file(s) with {bundle.tag} ({bundle.architecture})",
          file=sys.stderr)
    result = annotate_batch(files, bundle, jobs=args.jobs, cache=FeatureCache(),
                            use_cache=not args.no_cache, progress=ProgressBar("annotate"),
                            name_for=lambda p: video_column_name(p, out))
    result.failures = failures + result.failures
    tables = [a.table for a in result.annotations]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=PER_SECOND_COLUMNS)
    write_per_second_csv(table, out)
    if args.segments:
        write_segments_csv(segments_from_table(table), args.segments)
    _print_annotate_summary(result, table, out, args.segments, skipped)
    return 0 if result.ok else 1


def _print_annotate_summary(result, table, out, segments, skipped) -> None:
    for annotation in result.annotations:
        for warning in annotation.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {len(table)} rows for {len(result.annotations)} video(s) to {out}")
    if segments:
        print(f"wrote segments to {segments}")
    for annotation in result.annotations:
        events = annotation.table[annotation.table["label"] != "background"]
        main = events["label"].mode().iloc[0] if len(events) else "background"
        print(f"  {annotation.table['video'].iloc[0]}: {len(annotation.table)} s, "
              f"mostly {main} ({len(events)} event seconds)")
    if skipped:
        print(f"skipped {len(skipped)} non-media file(s) by extension", file=sys.stderr)
    if result.failures:
        print(f"{len(result.failures)} input(s) failed:", file=sys.stderr)
        for path, reason in result.failures:
            print(f"  {path}: {reason}", file=sys.stderr)
    if result.cancelled:
        print("cancelled: the rows above are the videos finished before the stop", file=sys.stderr)


def _hyperparameters(args) -> dict:
    hp = {}
    if args.hidden:
        hp.update(visual_hidden=args.hidden, audio_hidden=args.hidden, fusion_hidden=args.hidden)
    if args.recurrent:
        hp["recurrent"] = args.recurrent
    if args.recurrent_units:
        hp["recurrent_units"] = args.recurrent_units
    if args.dropout is not None:
        hp["dropout"] = args.dropout
    return hp


def _print_epoch(report) -> None:
    held_out = ("" if report.val_accuracy is None else
                f", held-out loss {report.val_loss:.3f}, accuracy {report.val_accuracy:.3f}")
    print(f"{report.phase} epoch {report.epoch}/{report.epochs}: loss {report.loss:.3f}{held_out}"
          f" ({report.elapsed:.0f} s, at most {report.seconds_left:.0f} s left)", file=sys.stderr)


def _cmd_train(args) -> int:
    from .ml.training import train

    bundle = train(args.data, args.arch, args.out, epochs=args.epochs, seed=args.seed,
                   hyperparameters=_hyperparameters(args), visual_fps=args.visual_fps,
                   batch_size=args.batch_size, learning_rate=args.learning_rate,
                   progress=ProgressBar("features"), version=args.version,
                   epoch_progress=_print_epoch, overwrite=args.overwrite,
                   warm_start=args.warm_start, augment=not args.no_augment,
                   refit={"auto": None, "yes": True, "no": False}[args.refit])
    card = bundle.card
    metrics = card.get("metrics", {})
    training = card["training"]
    counts = ", ".join(f"{k} {v}" for k, v in training.get("labelled_seconds", {}).items())
    print(f"saved {bundle.tag} to {bundle.path} ({card['parameter_count']} parameters, "
          f"{training['epochs_run']} epochs, best {training.get('best_epoch')}, "
          f"{training['training_seconds']} s); labelled seconds: {counts}; held-out "
          f"per-second accuracy {metrics.get('per_second_accuracy')}")
    return 0


def _cmd_evaluate(args) -> int:
    from .ml.bundle import load_bundle
    from .ml.evaluation import evaluate

    bundle = load_bundle(args.model)
    report = evaluate(args.data, bundle, progress=ProgressBar("evaluate"))
    if args.record:
        from .ml.evaluation import record_in_card

        record_in_card(bundle, report)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    return 0 if not report["failures"] else 1


def _print_report(report: dict) -> None:
    print(f"{report['model']} on {report['data']}: {report['videos']} videos, {report['seconds']} s")
    print(f"  per-second accuracy   {report['per_second_accuracy']}")
    print(f"  event seconds         {report['event_second_accuracy']}")
    for head, value in report["heads"].items():
        print(f"  {head} head            {value}")
    dropout = report["dropout_clips"]
    print(f"  drop-out clips        {dropout['per_second_accuracy']} ({dropout['videos']} videos)")
    for name, value in report["per_class"].items():
        print(f"    {name:<28} {value}")
    confusion = report.get("confusion") or {}
    mixed = [(truth, said, n) for truth, row in confusion.items() for said, n in row.items()
             if said != truth]
    if mixed:
        print("  mistaken seconds (true class -> said):")
        for truth, said, count in sorted(mixed, key=lambda item: -item[2])[:10]:
            print(f"    {truth} -> {said}: {count}")
    for failure in report["failures"]:
        print(f"  failed: {failure}", file=sys.stderr)


def _cmd_demo_data(args) -> int:
    from .core.demo_data import generate_demo_data

    labels = generate_demo_data(args.out_dir, clips=args.clips, seed=args.seed,
                                progress=ProgressBar("render"), class_set=args.class_set)
    print(f"wrote {args.clips} clips and {labels}")
    return 0


def _cmd_models(args) -> int:
    from .ml.bundle import list_bundles, models_dir

    bundles = list_bundles()
    if args.json:
        print(json.dumps([b.card for b in bundles], indent=2))
        return 0
    if not bundles:
        print(f"no bundles under {models_dir()}")
    for index, bundle in enumerate(bundles):
        card = bundle.card
        default = "  (default)" if index == 0 else ""
        print(f"{bundle.tag:<22} {bundle.architecture:<10} held-out per-second accuracy "
              f"{bundle.held_out_accuracy}  {card.get('parameter_count')} params  "
              f"{card.get('multiply_adds_per_second', 0) / 1e9:.2f} G multiply-adds/s{default}")
        print(f"{'':<22} classes: {', '.join(card['classes'])}")
    return 0


def _cmd_bench(args) -> int:
    from .ml.bench import run_bench

    return run_bench(clips=args.clips, as_json=args.json, model=args.model)


def has_display() -> bool:
    """Whether a window can be shown (an X or Wayland screen, or an explicit Qt platform)."""
    import os

    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def run_samples_headless() -> int:
    """The batch `make run` falls back to without a screen: annotate the bundled samples."""
    return main(["annotate", str(SAMPLES_DIR), "--out", str(EXPORTS_DIR / "samples.csv"),
                 "--segments", str(EXPORTS_DIR / "samples-segments.csv")])


def _cmd_gui(args) -> int:
    if not has_display():
        print("no display found (DISPLAY/WAYLAND_DISPLAY unset): running the same batch headless "
              "on the bundled samples instead of opening the window", file=sys.stderr)
        return run_samples_headless() if args.folder is None else main(
            ["annotate", args.folder, "--out", str(EXPORTS_DIR / "annotations.csv")])
    from .gui.app import run_app

    return run_app(args.folder or str(SAMPLES_DIR))


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("annotate", "train", "evaluate", "bench"):
        from .ml.runtime import import_tensorflow_quietly

        import_tensorflow_quietly()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s")
    try:
        return args.func(args)
    except AnnotatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
