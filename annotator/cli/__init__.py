"""The command line: argparse subcommands over the same functions the app calls.

`main(argv)` returns the exit status, so tests call it without a subprocess.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from ..core.errors import AnnotatorError
from . import interchange
from ..ml.model_types import model_type_names
from ..core.locations import exports_dir, shipped_dir
from . import annotate, cache, review, similar
from .progress import ProgressBar

log = logging.getLogger("annotator")

SAMPLES_DIR = shipped_dir("samples")
EXPORTS_DIR = exports_dir()


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a model type on a SPEC and save a bundle")
    p.add_argument(
        "--data",
        required=True,
        metavar="SPEC",
        help="labelled data: a demo-data folder, a per-second CSV, a project folder, an AVE "
        "root or a folder of feature files",
    )
    p.add_argument(
        "--arch", required=True, choices=model_type_names(), help="the model type to train"
    )
    p.add_argument("--out", required=True, help="bundle folder, e.g. models/NAME")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="default 40; 50 with --video-level (the research's)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the split, weights and windows (default 0)"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="default 32; 64 with --video-level (the research's)",
    )
    p.add_argument(
        "--learning-rate", type=float, default=1e-3, help="initial learning rate (default 0.001)"
    )
    p.add_argument(
        "--visual-fps", type=int, default=1, help="frames per second fed to the backbone"
    )
    p.add_argument("--hidden", type=int, default=None, help="visual/audio/fusion hidden width")
    p.add_argument(
        "--recurrent",
        choices=["gru", "lstm"],
        default=None,
        help="recurrent layer over the seconds (default gru)",
    )
    p.add_argument(
        "--recurrent-units", type=int, default=None, help="units per direction (default 64)"
    )
    p.add_argument("--dropout", type=float, default=None, help="dropout rate (default 0.3)")
    p.add_argument("--version", default="1.0.0", help="version written in the card (default 1.0.0)")
    p.add_argument(
        "--video-level",
        action="store_true",
        help="feature files only: the research's notebook model, one label per video",
    )
    _add_trust_pickles(p)
    p.add_argument("--overwrite", action="store_true", help="replace a bundle already at --out")
    p.add_argument(
        "--warm-start",
        default=None,
        metavar="BUNDLE",
        help="start the audio encoder from this bundle's weights",
    )
    p.add_argument(
        "--refit",
        choices=["auto", "yes", "no"],
        default="auto",
        help="train the final model again on every labelled video, for the epochs "
        "that did best held out (auto: with fewer than 20 videos)",
    )
    p.add_argument(
        "--no-augment",
        action="store_true",
        help="no time shifts, pasting, gain, noise or mixing (for comparison)",
    )
    p.add_argument(
        "--calibration-folds",
        type=int,
        default=None,
        metavar="N",
        help="at most N extra trainings to score the training videos out of fold for the "
        "confidence map (default: automatic, up to 3 with fewer than 20 held-out videos; 0: "
        "calibrate on the held-out videos alone, faster, and confidence ranks worse)",
    )
    p.set_defaults(func=_cmd_train)


def _add_trust_pickles(parser) -> None:
    parser.add_argument(
        "--trust-pickles",
        action="store_true",
        help="read the research's pickles (a pickle can run code when loaded)",
    )


def _add_other(sub) -> None:
    p = sub.add_parser("evaluate", help="per-second accuracy of a bundle on a SPEC")
    p.add_argument(
        "--data",
        required=True,
        metavar="SPEC",
        help="labelled data to score on (its test split where it has one, as AVE)",
    )
    p.add_argument("--model", required=True, help="bundle name under models/ or a path")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument(
        "--record",
        action="store_true",
        help="write the result into the bundle's card as its held-out metrics",
    )
    _add_trust_pickles(p)
    p.add_argument(
        "--plots",
        metavar="DIR",
        default=None,
        help="also draw a reliability diagram and a confusion matrix (PNG) into DIR",
    )
    p.set_defaults(func=_cmd_evaluate)
    p = sub.add_parser(
        "calibrate",
        help="fit a bundle's confidence temperatures and familiarity "
        "summary on held-out data (no retraining)",
    )
    p.add_argument("--data", required=True, metavar="SPEC", help="labelled held-out data")
    p.add_argument(
        "--model", required=True, help="bundle name under models/ or a path (rewritten in place)"
    )
    p.add_argument(
        "--familiar-data",
        metavar="SPEC",
        default=None,
        help="the data the bundle was trained on, summarised for familiarity "
        "(default: half of --data)",
    )
    p.add_argument("--note", default="", help="recorded in the card, e.g. how --data was made")
    p.set_defaults(func=_cmd_calibrate)
    p = sub.add_parser("demo-data", help="render demo clips with per-second truth")
    p.add_argument("out_dir", metavar="OUT_DIR", help="folder for the clips and labels.csv")
    p.add_argument("--clips", type=int, default=400, help="number of clips (default 400)")
    p.add_argument(
        "--seed", type=int, default=0, help="the same seed renders the same clips (default 0)"
    )
    p.add_argument(
        "--class-set",
        choices=["demo", "novel"],
        default="demo",
        help="demo: the shipped bundles' 8 classes; novel: 5 classes none of them "
        "has met (to try training on your own labels)",
    )
    p.set_defaults(func=_cmd_demo_data)
    p = sub.add_parser("models", help="installed bundles and their cards")
    p.add_argument("--json", action="store_true", help="print every card as JSON")
    p.set_defaults(func=_cmd_models)
    p = sub.add_parser("bench", help="measure speed and memory against the research pipeline")
    p.add_argument(
        "--clips", type=int, default=8, help="clips of 10 s to render and time (default 8)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--model", default=None, help="bundle to time (default: the default bundle)")
    p.add_argument(
        "--ray",
        action="store_true",
        help="also time `annotate --engine ray` on a local cluster (cluster extra)",
    )
    p.add_argument(
        "--paths",
        action="store_true",
        help="time only the decode paths (keyframes, reference frames) beside their decode floors",
    )
    p.add_argument(
        "--held-out",
        type=int,
        default=None,
        metavar="N",
        help="with --paths, also compare the paths' labels on the samples and N held-out demo clips",
    )
    p.set_defaults(func=_cmd_bench)
    p = sub.add_parser("gui", help="open the desktop app")
    p.add_argument(
        "folder", nargs="?", default=None, help="folder of videos (default: the samples)"
    )
    p.set_defaults(func=_cmd_gui)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Label every second of local videos from sound and picture."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    sub = parser.add_subparsers(dest="command", required=True)
    annotate.add_parser(sub)
    cache.add_parser(sub)
    _add_train(sub)
    _add_other(sub)
    interchange.add_parser(sub)
    review.add_parser(sub)
    similar.add_parser(sub)
    return parser


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
    held_out = (
        ""
        if report.val_accuracy is None
        else f", held-out loss {report.val_loss:.3f}, accuracy {report.val_accuracy:.3f}"
    )
    print(
        f"{report.phase} epoch {report.epoch}/{report.epochs}: loss {report.loss:.3f}{held_out}"
        f" ({report.elapsed:.0f} s, at most {report.seconds_left:.0f} s left)",
        file=sys.stderr,
    )


def _cmd_train(args) -> int:
    from ..core.errors import DataSpecError
    from ..core.feature_set_readers import open_feature_set
    from ..core.feature_sets import feature_folder_kind
    from ..ml.bundle import out_of_fold_text

    sizes = {
        key: value
        for key, value in (("epochs", args.epochs), ("batch_size", args.batch_size))
        if value is not None
    }
    if feature_folder_kind(args.data):
        from ..ml.feature_training import train_on_features

        bundle = train_on_features(
            open_feature_set(args.data, args.trust_pickles),
            args.arch,
            args.out,
            video_level=args.video_level,
            seed=args.seed,
            hyperparameters=_hyperparameters(args),
            learning_rate=args.learning_rate,
            version=args.version,
            **sizes,
        )
    elif args.video_level:
        raise DataSpecError(
            f"{args.data}: --video-level needs a folder of feature files "
            "(AVE's h5 files or the research's pickles)"
        )
    else:
        from ..ml.training import train

        bundle = train(
            args.data,
            args.arch,
            args.out,
            seed=args.seed,
            hyperparameters=_hyperparameters(args),
            visual_fps=args.visual_fps,
            learning_rate=args.learning_rate,
            progress=ProgressBar("features"),
            version=args.version,
            epoch_progress=_print_epoch,
            overwrite=args.overwrite,
            warm_start=args.warm_start,
            augment=not args.no_augment,
            refit={"auto": None, "yes": True, "no": False}[args.refit],
            calibration_folds=args.calibration_folds,
            **sizes,
        )
    card = bundle.card
    metrics = card.get("metrics", {})
    training = card["training"]
    video = (
        f", per-video accuracy {metrics['video_accuracy']}"
        if metrics.get("video_accuracy") is not None
        else ""
    )
    counts = ", ".join(f"{k} {v}" for k, v in training.get("labelled_seconds", {}).items())
    print(
        f"saved {bundle.tag} to {bundle.path} ({card['parameter_count']} parameters, "
        f"{training['epochs_run']} epochs, best {training.get('best_epoch')}, "
        f"{training['training_seconds']} s)"
        + (f"; labelled seconds: {counts}" if counts else "")
        + f"; held-out per-second accuracy {metrics.get('per_second_accuracy')}{video}"
        + (f"; out of fold: {out_of_fold}" if (out_of_fold := out_of_fold_text(card)) else "")
    )
    return 0


def _cmd_evaluate(args) -> int:
    from ..core.feature_set_readers import open_feature_set
    from ..core.feature_sets import feature_folder_kind
    from ..ml.bundle import load_bundle

    if feature_folder_kind(args.data):
        from ..ml.feature_evaluation import evaluate_feature_set

        feature_set = open_feature_set(args.data, args.trust_pickles)
        bundle = load_bundle(args.model, for_videos=False)
        report = evaluate_feature_set(feature_set, bundle)
    else:
        from ..ml.evaluation import evaluate

        bundle = load_bundle(args.model)
        report = evaluate(args.data, bundle, progress=ProgressBar("evaluate"))
    if args.record:
        from ..ml.evaluation import record_in_card

        record_in_card(bundle, report)
    if args.plots:
        from ..ml.plots import write_plots

        for path in write_plots(report, args.plots):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=2))
    elif "kind" in report:
        _print_feature_report(report)
    else:
        _print_report(report)
    return 0 if not report["failures"] else 1


def _print_feature_report(report: dict) -> None:
    """Ours beside the published numbers (feature-set evaluation)."""
    published = report["published"]
    print(
        f"{report['model']} ({report['architecture']}, {report['output']}) on {report['data']} "
        f"({report['kind']}, {report['split']} split): {report['videos']} videos"
    )
    if report["per_second_accuracy"] is not None:
        print(
            f"  per-second accuracy   {report['per_second_accuracy']}  (29-way; always the "
            f"commonest class: {report['majority_baseline_per_second']})"
        )
        print(f"  event seconds         {report['event_second_accuracy']}")
        for head, value in report["heads"].items():
            print(f"  {head} head{'':<{12 - len(head)}}{value}")
    print(
        f"  per-video accuracy    {report['video_accuracy']}  (the research's "
        f"{report['architecture']}: {published['research_video_accuracy']}; always the "
        f"commonest class: {report['majority_baseline_video']})"
    )
    print(
        "  published per-second accuracy on AVE: "
        + ", ".join(f"{name} {value}" for name, value in published["per_second_accuracy"].items())
    )
    for note in report["notes"]:
        print(f"  note: {note}")
    print(f"    {'class':<32} {'per second':>10} {'per video':>10}")
    for name in sorted(set(report["per_class"]) | set(report["video_per_class"])):
        second, video = report["per_class"].get(name, ""), report["video_per_class"].get(name, "")
        print(f"    {name:<32} {second!s:>10} {video!s:>10}")


def _cmd_calibrate(args) -> int:
    from ..ml.bundle import load_bundle
    from ..ml.calibrate import calibrate

    bundle = calibrate(
        args.data,
        load_bundle(args.model),
        familiar_spec=args.familiar_data,
        note=args.note,
        progress=ProgressBar("calibrate"),
    )
    calibration, familiarity = bundle.card["calibration"], bundle.card["familiarity"]
    temperatures = ", ".join(f"{head} {t}" for head, t in calibration["temperatures"].items())
    ece = calibration["expected_calibration_error_15_bins"]
    print(
        f"calibrated {bundle.tag}: temperatures {temperatures}; ECE of the fused label "
        f"{ece['before'].get('event')} -> {ece['after'].get('event')} on "
        f"{calibration['seconds']} s of {calibration['data']}"
    )
    print(
        f"familiarity summary of {familiarity['fit_seconds']} s of {familiarity['fitted_on']}: "
        f"{familiarity['held_out_flagged_share']:.1%} of held-out seconds flagged unfamiliar"
    )
    return 0


def _interval_text(interval) -> str:
    return f"(95 % interval {interval[0]:.3f}-{interval[1]:.3f})" if interval else ""


def _print_report(report: dict) -> None:
    print(
        f"{report['model']} on {report['data']}: {report['videos']} videos, {report['seconds']} s"
    )
    intervals = report.get("accuracy_intervals_95", {})
    print(
        f"  per-second accuracy   {report['per_second_accuracy']}  "
        f"{_interval_text(intervals.get('per_second_accuracy'))}"
    )
    print(
        f"  event seconds         {report['event_second_accuracy']}  "
        f"{_interval_text(intervals.get('event_second_accuracy'))}"
    )
    for head, value in report["heads"].items():
        print(
            f"  {head} head            {value}  "
            f"{_interval_text(intervals.get('heads', {}).get(head))}"
        )
    dropout = report["dropout_clips"]
    print(f"  drop-out clips        {dropout['per_second_accuracy']} ({dropout['videos']} videos)")
    intervals = report.get("accuracy_intervals_95", {}).get("per_class", {})
    for name, value in report["per_class"].items():
        print(f"    {name:<28} {value}  {_interval_text(intervals.get(name))}")
    ece = report.get("expected_calibration_error")
    if ece:
        heads = ", ".join(f"{head} {value}" for head, value in ece.items() if head != "bins")
        print(f"  calibration error (ECE, {ece['bins']} bins): {heads}")
    sed = report.get("sound_event_detection")
    if sed:
        segment, event = sed["segment_based"], sed["event_based"]
        print(
            f"  segment-based (1 s)   F1 {segment['micro']['f1']} micro, {segment['macro']['f1']} "
            f"macro; error rate {segment['micro']['error_rate']} micro, "
            f"{segment['macro']['error_rate']} macro"
        )
        print(
            f"  event-based           F1 {event['micro']['f1']} micro, {event['macro']['f1']} "
            f"macro (onset collar {event['collar_seconds']} s, offset {event['offset_collar']})"
        )
    familiarity = report.get("familiarity", {})
    if familiarity.get("unfamiliar_share") is not None:
        print(
            f"  unfamiliar seconds    {familiarity['unfamiliar_share']:.1%} "
            f"({familiarity['videos_warned']} videos warned)"
        )
    confusion = report.get("confusion") or {}
    mixed = [
        (truth, said, n)
        for truth, row in confusion.items()
        for said, n in row.items()
        if said != truth
    ]
    if mixed:
        print("  mistaken seconds (true class -> said):")
        for truth, said, count in sorted(mixed, key=lambda item: -item[2])[:10]:
            print(f"    {truth} -> {said}: {count}")
    for failure in report["failures"]:
        print(f"  failed: {failure}", file=sys.stderr)


def _cmd_demo_data(args) -> int:
    from ..core.demo.demo_data import generate_demo_data

    labels = generate_demo_data(
        args.out_dir,
        clips=args.clips,
        seed=args.seed,
        progress=ProgressBar("render"),
        class_set=args.class_set,
    )
    print(f"wrote {args.clips} clips and {labels}")
    return 0


def _cmd_models(args) -> int:
    from ..ml.bundle import list_bundles, models_dir

    bundles = list_bundles()
    if args.json:
        print(json.dumps([b.card for b in bundles], indent=2))
        return 0
    if not bundles:
        print(f"no bundles under {models_dir()}")
    # The default labels videos: the best bundle not trained on feature files.
    default_path = next((b.path for b in bundles if not b.feature_files), None)
    for bundle in bundles:
        card = bundle.card
        default = "  (default)" if bundle.path == default_path else ""
        print(
            f"{bundle.tag:<22} {bundle.architecture:<10} held-out per-second accuracy "
            f"{bundle.held_out_accuracy}  {card.get('parameter_count')} params  "
            f"{card.get('multiply_adds_per_second', 0) / 1e9:.2f} G multiply-adds/s{default}"
        )
        if bundle.feature_files:
            extractors = ", ".join(bundle.feature_files.get("extractors", {}).values())
            print(f"{'':<22} trained on feature files ({extractors}): evaluate only, not videos")
        print(f"{'':<22} classes: {', '.join(card['classes'])}")
    return 0


def _cmd_bench(args) -> int:
    from ..ml.bench.bench import run_bench

    return run_bench(
        clips=args.clips,
        as_json=args.json,
        model=args.model,
        ray=args.ray,
        paths=args.paths,
        held_out=args.held_out,
    )


def has_display() -> bool:
    """Whether a window can be shown (an X or Wayland screen, or an explicit Qt platform)."""
    import os

    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def run_samples_headless() -> int:
    """The batch `make run` falls back to without a screen: annotate the bundled samples."""
    return main(
        [
            "annotate",
            str(SAMPLES_DIR),
            "--out",
            str(EXPORTS_DIR / "samples.csv"),
            "--segments",
            str(EXPORTS_DIR / "samples-segments.csv"),
        ]
    )


def _cmd_gui(args) -> int:
    if not has_display():
        print(
            "no display found (DISPLAY/WAYLAND_DISPLAY unset): running the same batch headless "
            "on the bundled samples instead of opening the window",
            file=sys.stderr,
        )
        return (
            run_samples_headless()
            if args.folder is None
            else main(["annotate", args.folder, "--out", str(EXPORTS_DIR / "annotations.csv")])
        )
    from ..gui.app import run_app

    return run_app(args.folder or str(SAMPLES_DIR))


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    # `annotate` runs the heads in numpy and imports TensorFlow only for a graph numpy cannot run.
    if args.command in ("train", "evaluate", "bench", "calibrate"):
        from ..ml.runtime import import_tensorflow_quietly

        import_tensorflow_quietly()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )
    try:
        return args.func(args)
    except AnnotatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
