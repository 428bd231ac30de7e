"""`annotate --engine ray`: the one per-video pipeline mapped over a Ray cluster.

One kind of Ray actor, `VideoWorker`, one per node of the cluster: each loads the bundle once (its
files are shipped to it, so workers need no copy of models/) and the picture backbone on its
first video, then prepares and labels a stream of videos exactly as the local engine does
(ml/batch.py), as many at once as its node has CPUs. Only each video's record (its rows and
per-second arrays, records.py: a few kB of JSON) travels back; its features stay where they were
made, and the videos are read by path (every node must see them at the same path). Plain actors
rather than Ray Data: its planner, its stats and autoscaling actors and a prepare-task/label-actor
hand-over cost more than the work on a small cluster (docs/ray-engine.md has the measurements).

The driver writes each video's rows as it finishes (core/finished_videos.py: atomic, keyed by
video and model version, so a retried video replaces its own rows and never appears twice), and
returns the same BatchResult as the local engine: annotations and failures in input order, each
failure with the reason the local engine gives. `cancel()` stops the batch between videos.

A killed worker is Ray's to recover: the actor is started again and the videos it held are run
again. Ray is imported only here, only when this engine runs: the desktop install does not need
it (the `cluster` extra brings it). Without an address a local cluster of `cpus` CPUs starts for
the batch and stops after it; with one (`ray://…`, `HOST:PORT`, or `auto`) the driver joins that
cluster and leaves it running.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
from collections import deque
from pathlib import Path

from ...core.errors import EngineError
from ...core.feature_cache import FeatureCache
from ...core.finished_videos import FinishedVideos, VideoSummary
from ..batch import BatchResult, failure_reason
from ..bundle import ModelBundle, load_bundle
from ..pipeline import label_video, prepare_video
from ..prediction import load_head
from .records import pack_annotation, unpack_annotation

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # annotator/, shipped to the workers
# A local cluster's shared memory for objects: the bundle's files (~6 MB) and each finished
# video's record (a few kB); Ray's smallest store is 75 MB.
LOCAL_OBJECT_STORE_BYTES = 80 * 2**20
MAX_RETRIES = 3  # times a video is run again after its worker died under it
CANCEL_POLL_SECONDS = 0.5


def _import_ray():
    try:
        import ray  # not ray.data: its import alone costs pyarrow and pandas
    except ImportError as exc:
        raise EngineError(
            "the ray engine needs Ray: pip install 'av-annotator[cluster]' "
            "(from a checkout: pip install -e '.[cluster]')"
        ) from exc
    return ray


def runtime_env() -> dict:
    """What workers of a cluster joined by address get: this very code (so driver and workers
    never differ), quiet TensorFlow."""
    return {"py_modules": [str(PACKAGE_DIR)], "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}}


def _local_worker_environment() -> None:
    """A local cluster's raylet is a child of this process and starts the workers with this
    process's environment: given the folder holding this very package on their PYTHONPATH they
    import the same code, and need no runtime_env. (A runtime_env, even of environment variables
    alone, makes every worker wait for Ray's runtime-env agent: 1.5 s more before the first
    video, measured in docs/ray-engine.md.)"""
    here = str(PACKAGE_DIR.parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if here not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([here, *paths])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Ray starts a worker per CPU in advance for the first driver; ours are started for their
    # actors, so those would only import Ray and sit idle (~1 s of CPU, measured).
    os.environ.setdefault("RAY_prestart_worker_first_driver", "false")
    # No network at run time: Ray's usage statistics are on unless switched off.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def connect(address: str | None = None, cpus: int | None = None) -> bool:
    """Join the cluster at `address`, or start a local one of `cpus` CPUs; True if this call
    connected (and the caller should disconnect), False if the process was already connected
    (then it must have connected through this function, so that workers find this code)."""
    if not address or _is_loopback(address):
        # Ray binds a cluster to (and rewrites a loopback address into) the machine's network
        # address unless told it is a one-machine cluster, by this switch, read when Ray is
        # imported: a local cluster stays on loopback, and a driver can join it there.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    if address:
        _check_reachable(address)
    ray = _import_ray()
    if ray.is_initialized():
        return False
    # Ray's C++ core logs at error level that restartable actors keep their arguments in the
    # object store (ray-project/ray#53727): noise for a user of `annotate`. Everything still
    # goes to the session's log files under Ray's temp folder.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    common = {"logging_level": logging.ERROR, "log_to_driver": False}
    if address:
        try:
            # The job's runtime environment: py_modules of a local folder can only be given here.
            ray.init(address=address, runtime_env=runtime_env(), **common)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if os.environ.get("RAY_AUTH_MODE") is None:
                # Ray enables token authentication on new clusters, and a driver given an
                # address does not send a token unless told to.
                reason += (
                    "; if the cluster uses token authentication, set RAY_AUTH_MODE=token "
                    "and give its token (~/.ray/auth_token or RAY_AUTH_TOKEN)"
                )
            raise EngineError(f"cannot join the Ray cluster at {address}: {reason}") from exc
    else:
        _local_worker_environment()
        ray.init(
            num_cpus=cpus or os.cpu_count() or 1,
            include_dashboard=False,
            object_store_memory=LOCAL_OBJECT_STORE_BYTES,
            **common,
        )
    return True


def _host_and_port(address: str) -> tuple[str, str]:
    host, _, port = address.removeprefix("ray://").rpartition(":")
    return host.strip("[]"), port


def _is_loopback(address: str) -> bool:
    host, _port = _host_and_port(address)
    return host == "localhost" or host == "::1" or host.startswith("127.")


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """A HOST:PORT (or ray://HOST:PORT) where nothing listens fails in seconds with the reason;
    Ray's own client would retry for minutes. `auto` is left to Ray (it fails at once)."""
    host, port = _host_and_port(address)
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise EngineError(
            f"cannot join the Ray cluster at {address}: {exc.strerror or type(exc).__name__}"
        ) from exc


def _bundle_files(bundle: ModelBundle) -> dict[str, bytes]:
    return {
        child.name: child.read_bytes() for child in sorted(bundle.path.iterdir()) if child.is_file()
    }


# ----------------------------------------------------------------------------- worker side


class VideoWorker:
    """A Ray actor holding a node's CPUs: loads the bundle once (the picture backbone on its first
    video), then prepares and labels one video per call, as the local engine does, and returns
    the video's record (records.py) or its failure's reason. Prepared features never leave it.
    """

    def __init__(self, bundle_files: list, cache_dir: str, use_cache: bool):
        import ray

        # The files come as a reference held by the driver (wrapped in a list so Ray passes the
        # reference, not 6 MB of arguments that a restarted actor would need again).
        self.folder = tempfile.mkdtemp(prefix="av-annotator-bundle-")
        for name, data in ray.get(bundle_files[0]).items():
            Path(self.folder, name).write_bytes(data)
        self.bundle = load_bundle(self.folder)
        load_head(self.bundle)
        self.bundle.familiarity()  # loaded here, not by two videos' threads at once
        self.cache, self.use_cache = FeatureCache(cache_dir), use_cache
        self.labelling = threading.Lock()  # the local engine labels one video at a time too

    def annotate(self, path: str, name: str) -> tuple[str, str]:
        """(failure reason or "", the labelled video's record or "")."""
        try:
            prepared = prepare_video(path, self.bundle, cache=self.cache, use_cache=self.use_cache)
            with self.labelling:
                return "", pack_annotation(label_video(prepared, self.bundle, name))
        except Exception as exc:  # listed with its reason, as the local engine lists it
            return failure_reason(exc), ""

    def __del__(self):
        shutil.rmtree(getattr(self, "folder", ""), ignore_errors=True)


# ----------------------------------------------------------------------------- driver side


def _start_workers(bundle: ModelBundle, cache_dir: str, use_cache: bool) -> tuple[list, list]:
    """One VideoWorker on each node, holding its CPUs and preparing as many videos at once (in
    threads, as the local engine's --jobs: decoding runs in ffmpeg processes and the backbone
    releases the GIL; one process per node rather than per CPU saves the bundle, backbone and
    imports, ~300 MB, per CPU at the same speed). Returns (worker, videos at once) pairs and
    the reference to the bundle's files, which the driver must hold until the batch ends (a
    worker started again reads them again). A worker whose process dies is started again,
    elsewhere if its node is gone, and its videos retried (MAX_RETRIES times each: a video that
    kills every worker it meets is listed as failed, not retried for ever)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    files = [ray.put(_bundle_files(bundle))]
    workers = []
    for node in ray.nodes():
        cpus = int(node["Resources"].get("CPU", 0)) if node["Alive"] else 0
        if cpus < 1:
            continue
        worker = (
            ray.remote(VideoWorker)
            .options(
                num_cpus=cpus,
                max_concurrency=cpus,
                max_restarts=-1,
                max_task_retries=MAX_RETRIES,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=True),
            )
            .remote(files, cache_dir, use_cache)
        )
        workers.append((worker, cpus))
    return workers, files


def _finished_videos(todo: list[dict], workers: list, cancel=None):
    """(item, (failure, record)) for each video as it finishes, keeping each worker fed with
    one video more than it runs at once (so it never waits for the driver); stops early, and
    stops the videos in flight, when `cancel()` says so."""
    import ray

    waiting, running = deque(todo), {}
    free = [worker for worker, at_once in workers for _ in range(at_once + 1)]
    while waiting or running:
        while waiting and free:
            worker, item = free.pop(), waiting.popleft()
            running[worker.annotate.remote(item["path"], item["name"])] = (item, worker)
        if cancel is not None and cancel():
            for ref in running:
                ray.cancel(ref)
            return
        done, _ = ray.wait(list(running), num_returns=1, timeout=CANCEL_POLL_SECONDS)
        for ref in done:
            item, worker = running.pop(ref)
            free.append(worker)
            try:
                yield item, ray.get(ref)
            except ray.exceptions.RayError as exc:  # its worker died on every try
                yield item, (f"the Ray worker running it died: {type(exc).__name__}", "")


def annotate_batch_ray(
    files,
    bundle: ModelBundle,
    *,
    address: str | None = None,
    cpus: int | None = None,
    cache: FeatureCache | None = None,
    use_cache: bool = True,
    progress=None,
    cancel=None,
    name_for=str,
    journal: FinishedVideos | None = None,
) -> BatchResult:
    """Annotate every file on a Ray cluster; the same result as `annotate_batch`.

    `journal` keeps each video's rows on disk as it finishes (and supplies the rows of videos a
    killed run already finished); `progress(done, total, path)` after each video; `cancel()`
    stops the batch (the videos finished so far stay in the journal).
    """
    files = list(files)
    cache = cache or FeatureCache()
    outcomes: dict[int, tuple] = {}  # input index -> ("ok", annotation) or ("failed", reason)
    todo = []
    names = [name_for(path) for path in files]
    for index, path in enumerate(files):
        summary = journal.summary(names[index], path) if journal is not None else None
        table = journal.load(names[index], path) if summary is not None else None
        if table is not None:
            outcomes[index] = ("resumed", (_resumed(table, path), summary))
        else:
            todo.append({"index": index, "path": str(path), "name": names[index]})
    done = len(outcomes)
    if todo:
        connected = connect(address, cpus)
        try:
            workers, _bundle_files_held = _start_workers(bundle, str(cache.root), use_cache)
            for item, (failure, record) in _finished_videos(todo, workers, cancel):
                if item["index"] in outcomes:  # a video delivered twice is kept once
                    log.warning("%s: delivered twice; kept once", item["path"])
                    continue
                outcomes[item["index"]] = _outcome(item, failure, record, journal)
                done += 1
                if progress:
                    progress(done, len(files), item["path"])
        finally:
            if connected:
                import ray

                ray.shutdown()
    return _in_input_order(files, names, outcomes)


def _outcome(item: dict, failure: str, record: str, journal: FinishedVideos | None) -> tuple:
    if failure:
        return ("failed", failure)
    annotation = unpack_annotation(record)
    if journal is not None:
        journal.save(
            item["name"], item["path"], annotation.table, _summary(item["name"], annotation)
        )
    return ("ok", annotation)


def _summary(name: str, annotation) -> VideoSummary:
    return VideoSummary.of(
        name,
        annotation.info.path,
        annotation.table,
        annotation.warnings,
        annotation.familiarity,
        annotation.visual_decoding,
    )


def _resumed(table, path):
    """A video an earlier run finished: its rows as written. Its media info is not kept (the
    CSV and the summary need only the rows), so the streams are taken as present."""
    from ...core.media import MediaInfo
    from ..pipeline import VideoAnnotation

    duration = float(table["end"].iloc[-1]) if len(table) else 0.0
    return VideoAnnotation(table, MediaInfo(str(path), duration, True, True))


def _in_input_order(files: list, names: list, outcomes: dict) -> BatchResult:
    """The batch's result; a video without an outcome was cancelled (the batch is then too)."""
    result = BatchResult()
    for index, path in enumerate(files):
        if index not in outcomes:
            result.cancelled = True
            continue
        kind, value = outcomes[index]
        if kind == "failed":
            result.failures.append((str(path), value))
            continue
        annotation, summary = value if kind == "resumed" else (value, None)
        result.annotations.append(annotation)
        result.videos.append(summary or _summary(names[index], annotation))
    return result


def run(files, bundle, *, jobs: int = 1, address=None, video_progress=None, **options):
    """The engine interface (engines/__init__.py): `jobs` CPUs for a local cluster. Progress
    inside a video is not reported from the workers."""
    del video_progress
    return annotate_batch_ray(files, bundle, address=address, cpus=jobs, **options)
