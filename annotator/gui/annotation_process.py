"""The annotation process: annotates videos for the app in a process of its own.

Why a separate process and not a thread: TensorFlow's native library crashes (segmentation fault
on import) in a process where Qt has already loaded the system's OpenGL through Mesa, which
drags in Mesa's own LLVM — as soon as a video widget is shown on X11 with a software or AMD
driver. Keeping TensorFlow out of the app's process also means no shared interpreter lock (the
window stays responsive) and a crash during inference cannot take unsaved state with it.

The videos go through the command line's own batch function (ml.batch.annotate_batch) with the
same number of parallel jobs as `annotate` (2 unless the job says), so the app is as fast as
the command line. That function returns its results when its files are done, so the child hands
it the videos in steps of about STEP_SECONDS each (the first step one video per job, to show
a result soon); each step's results go to the window as soon as it ends. It runs at the
command line's priority: at nice 10, on a machine busy with other work, it got a fraction of
a core and took 3.5 times the command line's time; the window stays responsive by doing little
per result (results_flush in annotation_panel), not by starving the batch.

Protocol (the app's AnnotationRun speaks it): the first line on stdin is the job as JSON,
{"bundle": PATH, "videos": [[NAME, PATH], ...], "cache_dir": PATH or null, "jobs": N}; a later
line "cancel" (or stdin closing because the app went away) stops at the next second of video.
Each event goes to stdout as one JSON line: loaded, started (a step's videos are under way),
progress (a video is labelled; its rows follow with its step), done, failed, error, finished.
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
STEP_SECONDS = 2.0  # how long a step of the batch should take, at the rate seen so far
MAX_STEP_VIDEOS = 64


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


def next_step_size(done: int, seconds: float, jobs: int) -> int:
    """Videos in the next step: about STEP_SECONDS at the rate seen so far, never fewer than
    one per job (the pool stays full) nor more than MAX_STEP_VIDEOS."""
    if done == 0 or seconds <= 0:
        return jobs
    return max(jobs, min(MAX_STEP_VIDEOS, round(STEP_SECONDS * done / seconds)))


def _annotate_step(videos: list, bundle, cache, jobs: int, cancel) -> bool:
    """One step of the batch through annotate_batch; False when cancelled."""
    from ..ml.batch import annotate_batch

    names = {str(Path(path)): name for name, path in videos}
    for name, _path in videos:
        emit("started", video=name)
    result = annotate_batch(
        [Path(path) for _name, path in videos],
        bundle,
        jobs=jobs,
        cache=cache,
        cancel=cancel.is_set,
        progress=lambda _done, _total, path: emit("progress", video=names[str(path)], fraction=1.0),
        name_for=lambda path: names[str(path)],
    )
    for annotation in result.annotations:
        _emit_annotation(annotation)
    for path, reason in result.failures:
        emit("failed", video=names.get(path, path), reason=reason)
    return not result.cancelled


def run(job: dict, cancel: threading.Event) -> None:
    from ..core.errors import AnnotatorError
    from ..core.feature_cache import FeatureCache
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
    videos, done, started = list(job["videos"]), 0, time.monotonic()
    while videos and not cancel.is_set():
        size = next_step_size(done, time.monotonic() - started, jobs)
        step, videos = videos[:size], videos[size:]
        if not _annotate_step(step, bundle, cache, jobs, cancel):
            break
        done += len(step)
    emit("finished", cancelled=cancel.is_set())


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
