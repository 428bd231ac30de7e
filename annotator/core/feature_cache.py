"""A disk cache of per-second features, so a second model never decodes the same video again.

Entries are keyed by the file's absolute path, size and modification time plus the feature
settings, one .npz per modality (and per chunk of a long video). Writes are atomic; an unreadable
entry is treated as a miss.

The cache has a budget (default 20 GB, `AV_ANNOTATOR_CACHE_LIMIT` or the `limit` argument): a
write that would pass it first evicts the least recently used entries (a hit refreshes an
entry's modification time, to the hour) down to 90 % of the limit, so evicting is rare and the
cache never grows past the limit. The running total is kept in a small ledger file, updated
under a lock with each write, so several processes sharing the cache (two jobs, the app and
`annotate`, Ray workers on one machine) keep one count without each walking the whole folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .errors import AnnotatorError
from .npz import read_npz

log = logging.getLogger(__name__)

CACHE_ENV = "AV_ANNOTATOR_CACHE"
LIMIT_ENV = "AV_ANNOTATOR_CACHE_LIMIT"
DEFAULT_LIMIT_BYTES = 20 * 1000**3
# Evicting goes below the limit, so the next writes do not each evict again.
EVICT_TO_SHARE = 0.9
# The ledger is checked against the folder itself this often (files deleted by hand, a process
# killed between writing an entry and counting it).
LEDGER_MAX_AGE_SECONDS = 24 * 3600
# How finely the last use of an entry is kept (its modification time).
USE_RESOLUTION_SECONDS = 3600
# A temporary file younger than this may be another process's write in progress.
_TEMP_GRACE_SECONDS = 600
_LOCK_NAME, _LEDGER_NAME = ".lock", ".ledger.json"
_UNITS = {"": 1, "B": 1, "K": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4}


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "av-annotator" / "features"


def parse_size(text) -> int:
    """Bytes from '20G', '20 GB', '500M', '1.5T' or a plain number of bytes (units of 1000)."""
    cleaned = str(text).strip().upper().replace(" ", "").removesuffix("B")
    number, unit = cleaned, ""
    if cleaned and cleaned[-1] in _UNITS:
        number, unit = cleaned[:-1], cleaned[-1]
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        raise AnnotatorError(
            f"cache limit {text!r} is not a size (give e.g. 20G, 500M or a number of bytes)"
        ) from None
    if value < 0:
        raise AnnotatorError(f"cache limit {text!r} is negative")
    return int(value)


def format_size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def default_limit() -> int:
    text = os.environ.get(LIMIT_ENV)
    return parse_size(text) if text else DEFAULT_LIMIT_BYTES


@dataclass(frozen=True)
class CacheUsage:
    bytes: int
    entries: int


class FeatureCache:
    def __init__(self, root=None, limit: int | None = None):
        self.root = Path(root) if root else default_cache_dir()
        self.limit = default_limit() if limit is None else int(limit)

    def _entry(self, video, modality: str, settings: dict) -> Path:
        stat = Path(video).stat()
        identity = json.dumps(
            [str(Path(video).resolve()), stat.st_size, stat.st_mtime_ns, modality, settings],
            sort_keys=True,
        )
        digest = hashlib.sha1(identity.encode("utf-8")).hexdigest()
        return self.root / digest[:2] / f"{digest}.{modality}.npz"

    def load(self, video, modality: str, settings: dict) -> dict | None:
        """The cached arrays, or None on a miss (or a damaged entry)."""
        try:
            entry = self._entry(video, modality, settings)
            if not entry.exists():
                return None
            arrays = read_npz(entry)
            _touch(entry)  # recently used: evicted last
            return arrays
        except (OSError, ValueError, EOFError) as exc:
            log.warning("%s: ignoring damaged feature cache entry (%s)", video, exc)
            return None

    def save(self, video, modality: str, settings: dict, arrays: dict) -> None:
        """Write an entry, evicting the least recently used first if the limit needs it.

        An entry larger than the whole limit is not kept (logged): the work is simply redone."""
        entry = self._entry(video, modality, settings)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        data = buffer.getvalue()
        if len(data) > self.limit:
            log.info("%s: %s entry larger than the cache limit; not cached", video, modality)
            return
        with self._locked():
            replaced = _size_of(entry)
            total = self._ledger_total() - replaced
            if total + len(data) > self.limit:
                total = self._evict_to(int(self.limit * EVICT_TO_SHARE) - len(data), keep=entry)
                total -= _size_of(entry)
            with atomic_write(entry, binary=True) as handle:
                handle.write(data)
            self._write_ledger(total + len(data))

    # ------------------------------------------------------------------ the budget

    def usage(self) -> CacheUsage:
        """What the cache holds now, counted on disk (and the ledger brought up to date)."""
        with self._locked():
            entries = self._files()
            total = sum(size for _path, size, _mtime in entries)
            self._write_ledger(total, counted=True)
        return CacheUsage(total, sum(1 for path, _s, _m in entries if path.suffix == ".npz"))

    def prune(self, limit: int | None = None) -> CacheUsage:
        """Evict least recently used entries until the cache holds at most `limit` bytes
        (default: its own limit); what it holds afterwards."""
        with self._locked():
            self._evict_to(self.limit if limit is None else int(limit))
        return self.usage()

    def clear(self) -> CacheUsage:
        """Remove every entry."""
        return self.prune(0)

    def _evict_to(self, target: int, keep: Path | None = None) -> int:
        """Delete the oldest entries until at most `target` bytes remain; the total left."""
        entries = sorted(self._files(), key=lambda item: item[2])
        total = sum(size for _path, size, _mtime in entries)
        now = time.time()
        for path, size, mtime in entries:
            if total <= max(target, 0):
                break
            if path == keep or (path.suffix == ".tmp" and now - mtime < _TEMP_GRACE_SECONDS):
                continue
            try:
                path.unlink()
                total -= size
            except FileNotFoundError:  # another process evicted it first
                total -= size
            except OSError as exc:
                log.warning("%s: cannot evict from the feature cache (%s)", path, exc)
        self._write_ledger(total, counted=True)
        return total

    def _files(self) -> list[tuple[Path, int, float]]:
        """(path, size, last use) of every entry and stray temporary file."""
        found = []
        if not self.root.is_dir():
            return found
        for folder in os.scandir(self.root):
            if not folder.is_dir(follow_symlinks=False):
                continue
            for item in os.scandir(folder.path):
                try:
                    stat = item.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                found.append((Path(item.path), stat.st_size, stat.st_mtime))
        return found

    def _read_ledger(self) -> dict | None:
        try:
            ledger = json.loads((self.root / _LEDGER_NAME).read_text())
            return {"bytes": int(ledger["bytes"]), "counted_at": float(ledger["counted_at"])}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _ledger_total(self) -> int:
        """The running total; counted on disk when the ledger is missing, damaged or old."""
        ledger = self._read_ledger()
        if ledger and time.time() - ledger["counted_at"] < LEDGER_MAX_AGE_SECONDS:
            return ledger["bytes"]
        total = sum(size for _path, size, _mtime in self._files())
        self._write_ledger(total, counted=True)
        return total

    def _write_ledger(self, total: int, counted: bool = False) -> None:
        """Record the total; `counted` when it was just counted on disk (not added up)."""
        ledger = None if counted else self._read_ledger()
        counted_at = ledger["counted_at"] if ledger else time.time()
        with atomic_write(self.root / _LEDGER_NAME) as handle:
            json.dump({"bytes": max(int(total), 0), "counted_at": counted_at}, handle)

    @contextmanager
    def _locked(self):
        """One writer of the cache's bookkeeping at a time, across processes (POSIX locks;
        elsewhere the ledger may drift until the next full count)."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:
            yield
            return
        with open(self.root / _LOCK_NAME, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _touch(path: Path) -> None:
    """Mark an entry used now, unless it was within the hour (eviction needs no finer order,
    and a hit then writes nothing)."""
    try:
        if time.time() - path.stat().st_mtime > USE_RESOLUTION_SECONDS:
            os.utime(path)
    except OSError:  # a read-only cache still serves hits
        pass
