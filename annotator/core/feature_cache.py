"""A disk cache of per-second features, so a second model never decodes the same video again.

Entries are keyed by the file's absolute path, size and modification time plus the feature
settings, one .npz per modality. Writes are atomic; an unreadable entry is treated as a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from .atomic import atomic_write

log = logging.getLogger(__name__)

CACHE_ENV = "AV_ANNOTATOR_CACHE"


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "av-annotator" / "features"


class FeatureCache:
    def __init__(self, root=None):
        self.root = Path(root) if root else default_cache_dir()

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
            with np.load(entry, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except (OSError, ValueError, EOFError) as exc:
            log.warning("%s: ignoring damaged feature cache entry (%s)", video, exc)
            return None

    def save(self, video, modality: str, settings: dict, arrays: dict) -> None:
        entry = self._entry(video, modality, settings)
        with atomic_write(entry, binary=True) as handle:
            np.savez(handle, **arrays)
