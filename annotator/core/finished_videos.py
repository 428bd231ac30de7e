"""The rows of each finished video on disk, as soon as it finishes: one per-second CSV per video
and model version, in a folder beside the output CSV, written atomically.

Keyed by the video (its name in the CSV, its file's identity: path, size, modification time) and
the model's `name@version`, so a video labelled again (a retried task, a rerun) replaces its own
file and can never appear twice; a batch whose driver was killed resumes from the files already
there. The output CSV is assembled from the tables at the end, and the folder is removed then.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

import pandas as pd

from .csv_io import read_per_second_csv, write_per_second_csv
from .errors import DataSpecError

log = logging.getLogger(__name__)


def journal_folder(out_csv) -> Path:
    """Where the finished videos of a batch writing `out_csv` are kept: a hidden folder beside it."""
    out_csv = Path(out_csv)
    return out_csv.parent / f".{out_csv.name}.videos"


class FinishedVideos:
    def __init__(self, folder, model_tag: str):
        self.folder = Path(folder)
        self.model_tag = model_tag

    def _entry(self, name: str, path) -> Path:
        stat = Path(path).stat()
        identity = json.dumps(
            [name, self.model_tag, str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns]
        )
        return self.folder / f"{hashlib.sha1(identity.encode('utf-8')).hexdigest()}.csv"

    def load(self, name: str, path) -> pd.DataFrame | None:
        """The rows already written for this video and model, or None."""
        try:
            entry = self._entry(name, path)
            return read_per_second_csv(entry) if entry.exists() else None
        except (OSError, DataSpecError) as exc:  # unreadable: label the video again
            log.warning("%s: ignoring finished rows (%s)", path, exc)
            return None

    def save(self, name: str, path, table: pd.DataFrame) -> None:
        """Write this video's rows (atomically; replaces an earlier copy of the same key)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        write_per_second_csv(table, self._entry(name, path))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
