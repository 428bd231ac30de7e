"""The training process: trains a model on a project's human labels for the app, in a process
of its own (TensorFlow never enters the app's process; see annotation_process for why).

Protocol (the app's TrainingRun speaks it): the first line on stdin is the job as JSON,
{"store": PATH, "out": BUNDLE_DIR, "architecture": NAME, "epochs": N, "seed": S,
 "cache_dir": PATH or null}; a later line "cancel" (or stdin closing because the app went
away) stops within a batch, and nothing is written. Each event goes to stdout as one JSON line:
labels (seconds per class), features (done, total, video), epoch (the EpochReport), done
(bundle path and card), error (reason), finished (cancelled). This module imports no Qt.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading

from .annotation_process import emit

log = logging.getLogger(__name__)


def _watch_stdin(cancel: threading.Event) -> None:
    for line in sys.stdin:
        if line.strip() == "cancel":
            break
    cancel.set()


def run(job: dict, cancel: threading.Event) -> None:
    from ..core.errors import AnnotatorError, Cancelled
    from ..core.feature_cache import FeatureCache
    from ..core.project_labels import load_project_labels
    from ..ml.training import train
    from ..ml.training_data import labelled_counts

    try:
        labelled = load_project_labels(job["store"])
        emit(
            "labels",
            seconds=dict(labelled_counts(labelled.videos)),
            videos=sum(1 for v in labelled.videos if v.labelled_seconds()),
        )
        bundle = train(
            labelled,
            job["architecture"],
            job["out"],
            epochs=int(job["epochs"]),
            seed=int(job.get("seed", 0)),
            cache=FeatureCache(job.get("cache_dir")),
            progress=lambda done, total, video: emit(
                "features", done=done, total=total, video=str(video)
            ),
            epoch_progress=lambda report: emit("epoch", **report.as_dict()),
            cancel=cancel.is_set,
        )
    except Cancelled:
        emit("finished", cancelled=True)
        return
    except AnnotatorError as exc:
        emit("error", reason=str(exc))
        emit("finished", cancelled=False)
        return
    except Exception as exc:  # a bug must still reach the user as one line, not a hang
        log.exception("training failed")
        emit("error", reason=f"unexpected error: {type(exc).__name__}: {exc}")
        emit("finished", cancelled=False)
        return
    emit("done", bundle=str(bundle.path), card=bundle.card)
    emit("finished", cancelled=False)


# Below the window, but less far than annotation's 10: on a machine busy with other work a
# nice-10 training got a tenth of a core and took many times longer; the window, mostly idle,
# still wins the scheduler whenever it wakes.
NICENESS = 5


def _yield_to_the_window() -> None:
    if hasattr(os, "nice"):
        try:
            os.nice(NICENESS)
        except OSError:
            pass


def main() -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr
    )
    _yield_to_the_window()
    try:
        job = json.loads(sys.stdin.readline())
    except json.JSONDecodeError as exc:
        emit("error", reason=f"bad job line ({exc})")
        return 2
    cancel = threading.Event()
    threading.Thread(target=_watch_stdin, args=(cancel,), daemon=True).start()
    run(job, cancel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
