"""`annotate --engine ray`: the one per-video pipeline mapped over a Ray cluster with Ray Data.

Two stages, the same two as the local engine (ml/batch.py) and nothing else:
- `prepare_video` in CPU tasks, one video per task: probe, decode and features (through the
  feature cache of the node it runs on). Only the per-second features travel on, packed as
  plain arrays (records.py);
- `label_video` in a pool of actors, each of which loads the bundle once (its files are shipped
  to the actor, so workers need no copy of models/).
The driver writes each video's rows as it finishes (core/finished_videos.py: atomic, keyed by
video and model version, so a retried video replaces its own rows and never appears twice), and
returns the same BatchResult as the local engine: annotations and failures in input order, each
failure with the reason the local engine gives.

A killed worker is Ray's to recover: a prepare task whose process died is run again, a label actor
that died is restarted and its video retried. Ray is imported only here, only when this engine
runs: the desktop install does not need it (the `cluster` extra brings it).
Without an address a local cluster of `cpus` CPUs starts for the batch and stops after it; with
one (`ray://…`, `HOST:PORT`, or `auto`) the driver joins that cluster and leaves it running.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

from ...core.errors import EngineError
from ...core.feature_cache import FeatureCache
from ...core.finished_videos import FinishedVideos, VideoSummary
from ..batch import BatchResult, failure_reason
from ..bundle import ModelBundle, load_bundle
from ..pipeline import FeatureNeeds, label_video, prepare_video
from ..prediction import load_head
from .records import pack_annotation, pack_prepared, unpack_annotation, unpack_prepared

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # annotator/, shipped to the workers
# A local cluster's shared memory for objects in flight: a 10 s video's features are ~300 kB.
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20
# The head costs a few ms per video against hundreds for decoding: one actor keeps up with many
# CPUs of prepare tasks, and it reserves no CPU so a 2-CPU node still prepares two videos at once.
CPUS_PER_LABEL_ACTOR = 16


def _import_ray():
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise EngineError(
            "the ray engine needs Ray: pip install 'av-annotator[cluster]' "
            "(from a checkout: pip install -e '.[cluster]')"
        ) from exc
    return ray


def runtime_env() -> dict:
    """What workers get: this very code (so driver and workers never differ), quiet TensorFlow."""
    return {"py_modules": [str(PACKAGE_DIR)], "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}}


def connect(address: str | None = None, cpus: int | None = None) -> bool:
    """Join the cluster at `address`, or start a local one of `cpus` CPUs; True if this call
    connected (and the caller should disconnect), False if the process was already connected
    (then it must have connected through this function, for the workers' runtime_env)."""
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
    # Ray's C++ core logs at error level that Ray Data's own restartable actors keep their
    # arguments in the object store (ray-project/ray#53727): noise for a user of `annotate`.
    # Everything still goes to the session's log files under Ray's temp folder.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    # The job's runtime environment: py_modules of a local folder can only be given here.
    common = {"logging_level": logging.ERROR, "log_to_driver": False, "runtime_env": runtime_env()}
    if address:
        try:
            ray.init(address=address, **common)
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


def _quiet_data_context() -> None:
    """No progress bars or execution notices from Ray Data: `annotate` has its own progress."""
    from ray.data import DataContext

    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.execution_options.preserve_order = False  # rows are written as videos finish


def _bundle_files(bundle: ModelBundle) -> dict[str, bytes]:
    return {
        child.name: child.read_bytes() for child in sorted(bundle.path.iterdir()) if child.is_file()
    }


# ----------------------------------------------------------------------------- worker side


def prepare_row(row: dict, *, needs: dict, cache_dir: str | None, use_cache: bool) -> dict:
    """A Ray Data task: `prepare_video` on one input; its features, or its failure's reason."""
    try:
        prepared = prepare_video(
            row["path"], FeatureNeeds(**needs), cache=FeatureCache(cache_dir), use_cache=use_cache
        )
        return {**row, "failure": "", "features": pack_prepared(prepared)}
    except Exception as exc:  # listed with its reason, as the local engine lists it
        return {**row, "failure": failure_reason(exc), "features": b""}


class LabelActor:
    """A Ray Data actor: loads the bundle once, then `label_video` on each prepared video."""

    def __init__(self, bundle_files: list):
        import ray

        # The files come as a reference held by the driver (wrapped in a list so Ray passes the
        # reference, not 6 MB of arguments that a restarted actor would need again).
        self.folder = tempfile.mkdtemp(prefix="av-annotator-bundle-")
        for name, data in ray.get(bundle_files[0]).items():
            Path(self.folder, name).write_bytes(data)
        self.bundle = load_bundle(self.folder)
        load_head(self.bundle)

    def __call__(self, batch: dict) -> dict:
        out = {key: [] for key in ("index", "path", "name", "failure", "annotation")}
        for index, path, name, failure, features in zip(
            batch["index"], batch["path"], batch["name"], batch["failure"], batch["features"]
        ):
            annotation = ""
            if not failure:
                try:
                    labelled = label_video(unpack_prepared(features), self.bundle, str(name))
                    annotation = pack_annotation(labelled)
                except Exception as exc:
                    failure = failure_reason(exc)
            for key, value in (
                ("index", int(index)),
                ("path", str(path)),
                ("name", str(name)),
                ("failure", str(failure)),
                ("annotation", annotation),
            ):
                out[key].append(value)
        return out

    def __del__(self):
        shutil.rmtree(getattr(self, "folder", ""), ignore_errors=True)


# ----------------------------------------------------------------------------- driver side


def _dataset(todo: list[dict], bundle: ModelBundle, cache_dir, use_cache: bool):
    import ray

    cpus = int(ray.cluster_resources().get("CPU", 1))
    needs = {"architecture": bundle.architecture, "visual_fps": bundle.visual_fps}
    items = ray.data.from_items(todo, override_num_blocks=len(todo))
    prepared = items.map(
        prepare_row,
        fn_kwargs={"needs": needs, "cache_dir": cache_dir, "use_cache": use_cache},
        num_cpus=1,
    )
    actors = ray.data.ActorPoolStrategy(size=max(1, cpus // CPUS_PER_LABEL_ACTOR))
    return prepared.map_batches(
        LabelActor,
        fn_constructor_kwargs={"bundle_files": [ray.put(_bundle_files(bundle))]},
        batch_size=1,
        batch_format="numpy",
        num_cpus=0,
        compute=actors,
    )


def annotate_batch_ray(
    files,
    bundle: ModelBundle,
    *,
    address: str | None = None,
    cpus: int | None = None,
    cache: FeatureCache | None = None,
    use_cache: bool = True,
    progress=None,
    name_for=str,
    journal: FinishedVideos | None = None,
) -> BatchResult:
    """Annotate every file on a Ray cluster; the same result as `annotate_batch`.

    `journal` keeps each video's rows on disk as it finishes (and supplies the rows of videos a
    killed run already finished); `progress(done, total, path)` after each video.
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
            _quiet_data_context()
            for row in _dataset(todo, bundle, str(cache.root), use_cache).iter_rows():
                index = int(row["index"])
                if index in outcomes:  # a video delivered twice is kept once
                    log.warning("%s: delivered twice; kept once", row["path"])
                    continue
                outcomes[index] = _outcome(row, journal)
                done += 1
                if progress:
                    progress(done, len(files), row["path"])
        finally:
            if connected:
                import ray

                ray.shutdown()
    return _in_input_order(files, names, outcomes)


def _outcome(row: dict, journal: FinishedVideos | None) -> tuple:
    if row["failure"]:
        return ("failed", row["failure"])
    annotation = unpack_annotation(row["annotation"])
    if journal is not None:
        journal.save(row["name"], row["path"], annotation.table, _summary(row["name"], annotation))
    return ("ok", annotation)


def _summary(name: str, annotation) -> VideoSummary:
    return VideoSummary.of(
        name, annotation.info.path, annotation.table, annotation.warnings, annotation.familiarity
    )


def _resumed(table, path):
    """A video an earlier run finished: its rows as written. Its media info is not kept (the
    CSV and the summary need only the rows), so the streams are taken as present."""
    from ...core.media import MediaInfo
    from ..pipeline import VideoAnnotation

    duration = float(table["end"].iloc[-1]) if len(table) else 0.0
    return VideoAnnotation(table, MediaInfo(str(path), duration, True, True))


def _in_input_order(files: list, names: list, outcomes: dict) -> BatchResult:
    result = BatchResult()
    for index, path in enumerate(files):
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
