"""The annotation process: annotates videos for the app in a process of its own.

Why a separate process and not a thread: TensorFlow's native library crashes (segmentation fault
on import) in a process where Qt has already loaded the system's OpenGL through Mesa, which
drags in Mesa's own LLVM — as soon as a video widget is shown on X11 with a software or AMD
driver. Keeping TensorFlow out of the app's process also means no shared interpreter lock (the
window stays responsive) and a crash during inference cannot take unsaved state with it.

The videos go through the command line's own batch function (ml.batch.annotate_batch) with the
same number of parallel jobs as `annotate` (2 unless the job says), so the app is as fast as
the command line; each video's rows go to the window as soon as it is labelled, and its
progress inside the video (decoding, then labelling) at most PROGRESS_PER_SECOND times a
second. It runs at the command line's priority: at nice 10, on a machine busy with other work,
it got a fraction of a core and took 3.5 times the command line's time; the window stays
responsive by doing little per result (results_flush in annotation_panel), not by starving
the batch.

Protocol (the app's AnnotationRun speaks it): the first line on stdin is the job as JSON,
{"bundle": PATH, "videos": [[NAME, PATH], ...], "cache_dir": PATH or null, "jobs": N}; a later
line "cancel" (or stdin closing because the app went away) stops at the next second of video.
Each event goes to stdout as one JSON line: loaded, started (a video is being decoded),
progress (its fraction done), done (its rows), failed, error, finished.
This module imports no Qt.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

_write_lock = threading.Lock()

DEFAULT_JOBS = 2  # as `annotate --jobs`
PROGRESS_PER_SECOND = 4  # progress lines per video and second, at most
# Decoding and feature extraction take most of a video's time; labelling the rest.
DECODING_SHARE = 0.9


def emit(event: str, **fields) -> None:
    line = json.dumps({"event": event, **fields}, default=_plain)
    with _write_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _plain(value):
    """numpy scalars and arrays as plain JSON values; NaN as null."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def table_to_json(table) -> dict:
    rows = [
        [None if isinstance(v, float) and math.isnan(v) else v for v in row]
        for row in table.astype(object).itertuples(index=False)
    ]
    return {"columns": list(table.columns), "rows": rows}


def table_from_json(data: dict):
    import numpy as np
    import pandas as pd

    table = pd.DataFrame(data["rows"], columns=data["columns"])
    table["second"] = table["second"].astype(np.int64)
    for column in ("start", "end", "confidence", "audio_confidence", "visual_confidence"):
        table[column] = pd.to_numeric(table[column]).astype(float)
    for column in ("audio_label", "visual_label"):
        table[column] = table[column].fillna("")
    return table


def _watch_stdin(cancel: threading.Event) -> None:
    for line in sys.stdin:
        if line.strip() == "cancel":
            break
    cancel.set()  # asked to, or the app is gone (stdin closed): stop either way


def _emit_annotation(annotation) -> None:
    name = str(annotation.table["video"].iloc[0]) if len(annotation.table) else ""
    attention = None if annotation.attention is None else annotation.attention.tolist()
    familiarity = None if annotation.familiarity is None else annotation.familiarity.tolist()
    emit(
        "done",
        video=name,
        table=table_to_json(annotation.table),
        attention=attention,
        warnings=list(annotation.warnings),
        familiarity=familiarity,
    )


class _VideoProgress:
    """Turns the batch's per-video progress into started/progress lines, a few a second."""

    def __init__(self, names: dict):
        self.names = names
        self.last: dict[str, float] = {}  # video -> when its last line went out
        self.lock = threading.Lock()

    def __call__(self, path, done: int, total: int, stage: str) -> None:
        name = self.names[str(path)]
        now = time.monotonic()
        with self.lock:  # decoding reports from the worker threads
            first = name not in self.last
            stage_done = done >= total  # always said: the end of decoding, of labelling
            if not first and not stage_done and now - self.last[name] < 1 / PROGRESS_PER_SECOND:
                return
            self.last[name] = now
        if first:
            emit("started", video=name)
        share = done / max(total, 1)
        fraction = (
            DECODING_SHARE * share
            if stage == "decoding"
            else DECODING_SHARE + (1 - DECODING_SHARE) * share
        )
        emit("progress", video=name, fraction=round(min(fraction, 1.0), 3))


def run(job: dict, cancel: threading.Event) -> None:
    from ..core.errors import AnnotatorError
    from ..core.feature_cache import FeatureCache
    from ..ml.batch import annotate_batch
    from ..ml.bundle import load_bundle
    from ..ml.prediction import load_head

    try:
        bundle = load_bundle(job["bundle"])
        load_head(bundle)
    except AnnotatorError as exc:
        emit("error", reason=str(exc))
        emit("finished", cancelled=False)
        return
    emit("loaded", model=bundle.tag)
    cache = FeatureCache(job.get("cache_dir"))
    jobs = max(1, int(job.get("jobs") or DEFAULT_JOBS))
    names = {str(Path(path)): name for name, path in job["videos"]}
    result = annotate_batch(
        [Path(path) for _name, path in job["videos"]],
        bundle,
        jobs=jobs,
        cache=cache,
        cancel=cancel.is_set,
        name_for=lambda path: names[str(path)],
        keep_annotations=False,  # each video's rows go out as it finishes
        on_annotation=lambda _path, annotation: _emit_annotation(annotation),
        on_failure=lambda path, reason: emit("failed", video=names[str(path)], reason=reason),
        video_progress=_VideoProgress(names),
    )
    emit("finished", cancelled=result.cancelled or cancel.is_set())


def main() -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr
    )
    first = sys.stdin.readline()
    try:
        job = json.loads(first)
    except json.JSONDecodeError as exc:
        emit("error", reason=f"bad job line ({exc})")
        return 2
    cancel = threading.Event()
    threading.Thread(target=_watch_stdin, args=(cancel,), daemon=True).start()
    run(job, cancel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
