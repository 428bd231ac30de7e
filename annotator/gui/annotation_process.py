"""The annotation process: annotates videos for the app in a process of its own.

Why a separate process and not a thread: TensorFlow's native library crashes (segmentation fault
on import) in a process where Qt has already loaded the system's OpenGL through Mesa, which
drags in Mesa's own LLVM — as soon as a video widget is shown on X11 with a software or AMD
driver. Keeping TensorFlow out of the app's process also means no shared interpreter lock (the
window stays responsive) and a crash during inference cannot take unsaved state with it.

Protocol (the app's AnnotationRun speaks it): the first line on stdin is the job as JSON,
{"bundle": PATH, "videos": [[NAME, PATH], ...], "cache_dir": PATH or null}; a later line
"cancel" (or stdin closing because the app went away) stops at the next second of video.
Each event goes to stdout as one JSON line: loaded, started, progress, done, failed, error,
finished. This module imports no Qt.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading

log = logging.getLogger(__name__)

_write_lock = threading.Lock()


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


def _annotate(name: str, path: str, bundle, cache, cancel) -> bool:
    """One video through the per-video pipeline; False when cancelled."""
    from ..core.errors import AnnotatorError, Cancelled
    from ..ml.pipeline import label_video, prepare_video

    emit("started", video=name)
    try:
        prepared = prepare_video(
            path,
            bundle,
            cache=cache,
            cancel=cancel.is_set,
            progress=lambda fraction: emit("progress", video=name, fraction=fraction),
        )
        annotation = label_video(prepared, bundle, name)
    except Cancelled:
        return False
    except AnnotatorError as exc:
        emit("failed", video=name, reason=getattr(exc, "reason", str(exc)))
        return True
    except Exception as exc:  # one odd file must not end the run
        log.exception("unexpected error annotating %s", path)
        emit("failed", video=name, reason=f"unexpected error: {type(exc).__name__}: {exc}")
        return True
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
    return True


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
    for name, path in job["videos"]:
        if cancel.is_set() or not _annotate(name, path, bundle, cache, cancel):
            break
    emit("finished", cancelled=cancel.is_set())


def _yield_to_the_window() -> None:
    """Run at a lower CPU priority (its ffmpeg decoders inherit it), so on a busy machine the
    scheduler serves the window first and the batch takes what is left."""
    if hasattr(os, "nice"):
        try:
            os.nice(10)
        except OSError:
            pass


def main() -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr
    )
    _yield_to_the_window()
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
