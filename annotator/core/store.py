"""The project store: one SQLite file per video folder holding predictions and every human edit.

Nothing is lost: the database runs in WAL mode with synchronous=FULL, and each edit is one
transaction (the new labels and the edit's log entry commit together or not at all), so closing,
a crash or a kill keeps every edit that was acknowledged. Videos are keyed by their path relative
to the folder, so a moved or copied folder keeps its project.

The file lives in `<folder>/.av-annotator/project.sqlite`, where the user expects it; when the
folder cannot be written it falls back to a per-user data folder keyed by the folder's path.

Two windows on one folder cannot lose an edit: a window that claims the writer lease
(writer_lease) is the only one whose edits are accepted, the others are read-only and follow it
through the store's revision, which every write moves on. Edits made from a view that may be
stale, and undo and redo, are compare-and-swap: they name what they expect each second to hold
and leave alone a second someone else changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
import pandas as pd

from . import writer_lease
from .errors import AnnotatorError
from .conventions import BACKGROUND
from .paths import path_relative_to_folder
from .table import PER_SECOND_COLUMNS, count_seconds, main_label, per_second_table
from .writer_lease import OneWriter

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
PROJECT_DIR_NAME = ".av-annotator"
STORE_FILE_NAME = "project.sqlite"
DATA_HOME_ENV = "AV_ANNOTATOR_DATA"
STATUSES = ("pending", "done", "failed")
HUMAN, MODEL = "human", "model"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS videos (
    video TEXT PRIMARY KEY,
    duration REAL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    reason TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS predictions (
    video TEXT NOT NULL REFERENCES videos(video) ON DELETE CASCADE,
    second INTEGER NOT NULL,
    start_time REAL NOT NULL, end_time REAL NOT NULL,
    label TEXT NOT NULL, confidence REAL NOT NULL,
    audio_label TEXT NOT NULL, audio_confidence REAL,
    visual_label TEXT NOT NULL, visual_confidence REAL,
    model TEXT NOT NULL,
    attention_audio REAL, attention_visual REAL,
    PRIMARY KEY (video, second)
) WITHOUT ROWID;
-- Per second, how like the model's training data it is (1 = familiar); rows only for
-- predictions from a bundle with a familiarity summary. Added beside the predictions so
-- stores written before it open unchanged.
CREATE TABLE IF NOT EXISTS familiarity (
    video TEXT NOT NULL REFERENCES videos(video) ON DELETE CASCADE,
    second INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (video, second)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    video TEXT NOT NULL REFERENCES videos(video) ON DELETE CASCADE,
    made_at REAL NOT NULL,
    description TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS human_labels (
    video TEXT NOT NULL REFERENCES videos(video) ON DELETE CASCADE,
    second INTEGER NOT NULL,
    label TEXT NOT NULL,
    edit_id INTEGER NOT NULL REFERENCES edits(id),
    PRIMARY KEY (video, second)
) WITHOUT ROWID;
"""


class StoreError(AnnotatorError):
    """The project store cannot be opened or an edit does not fit the video."""


@dataclass
class LabelChange:
    """What an edit did: its id in the log (None when it changed nothing), what the store held
    for its seconds just before, and the seconds it left alone because someone else had
    changed them from what the edit expected (second -> what the store holds)."""

    edit_id: int | None
    before: dict[int, str | None]
    changed_elsewhere: dict[int, str | None] = field(default_factory=dict)


class _Refused(Exception):
    """Rolls back a several-video edit when one of its seconds was changed elsewhere."""

    def __init__(self, changes: dict):
        super().__init__("changed elsewhere")
        self.changes = changes


def user_data_dir() -> Path:
    if os.environ.get(DATA_HOME_ENV):
        return Path(os.environ[DATA_HOME_ENV])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "av-annotator"


def fallback_store_path(folder, data_dir=None) -> Path:
    """Where the store of a read-only folder goes: a per-user folder keyed by the folder's path."""
    folder = Path(folder).resolve()
    digest = hashlib.sha1(str(folder).encode("utf-8")).hexdigest()[:16]
    return (
        Path(data_dir or user_data_dir()) / "projects" / f"{folder.name}-{digest}" / STORE_FILE_NAME
    )


def relative_video_name(folder, video_path) -> str:
    """The store's key for a video: its path relative to the project folder, with / separators."""
    return path_relative_to_folder(video_path, folder)


class ProjectStore(OneWriter):
    """Predictions, review status and human labels of the videos in one folder."""

    def __init__(self, path, folder=None):
        self.path = Path(path)
        self.folder = Path(folder).resolve() if folder else None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are opened explicitly, one per edit.
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            # Each CREATE ... IF NOT EXISTS is atomic on its own; a second process opening the
            # same store at once just finds the tables there.
            self._db.executescript(_SCHEMA)
            self._db.executescript(writer_lease.LEASE_SCHEMA)
            with self._transaction(content=False):
                self._db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('revision', '0')")
                if self.folder:
                    self._db.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('folder', ?)", (str(self.folder),)
                    )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the project store ({exc})") from exc
        self._check_version()
        self._seen_revision = self.revision()

    @classmethod
    def for_folder(cls, folder, data_dir=None) -> "ProjectStore":
        """The store of a video folder: inside it if writable, else in the per-user data folder."""
        folder = Path(folder)
        if not folder.is_dir():
            raise StoreError(f"{folder}: not a folder")
        inside = folder / PROJECT_DIR_NAME / STORE_FILE_NAME
        try:
            return cls(inside, folder)
        except StoreError as exc:
            fallback = fallback_store_path(folder, data_dir)
            log.info("%s; using %s instead", exc, fallback)
            return cls(fallback, folder)

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row and int(row[0]) > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by a newer version of the tool "
                f"(schema {row[0]}, this one reads {SCHEMA_VERSION})"
            )

    def close(self) -> None:
        try:
            self.release_writer()
        except sqlite3.Error as exc:  # the lease then goes stale on its own
            log.warning("%s: could not release the writer lease (%s)", self.path, exc)
        self._db.close()

    @cached_property
    def classes(self):
        """The project's own class list (names and colours): see class_list."""
        from .class_list import ClassList

        return ClassList(self)

    @contextmanager
    def _transaction(self, content: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction. A `content` write (anything but the lease) is refused when
        another window holds the lease, and moves the store's revision on, which is how the
        other windows learn that something changed."""
        # IMMEDIATE takes the write lock up front, so a second process waits instead of failing
        # half-way through an edit.
        self._db.execute("BEGIN IMMEDIATE")
        revision = None
        try:
            if content:
                refusal = self._writer_refusal(self._db)
                if refusal:
                    raise StoreError(refusal)
                self._db.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='revision'"
                )
                revision = int(
                    self._db.execute("SELECT value FROM meta WHERE key='revision'").fetchone()[0]
                )
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        if revision is not None and revision == self._seen_revision + 1:
            self._seen_revision = revision  # only our own write since we last looked

    # ---- videos ------------------------------------------------------------------------------

    def add_videos(self, durations: Mapping[str, float | None]) -> None:
        """Register videos (name -> duration or None when not yet probed); known ones keep state."""
        with self._transaction() as db:
            for video, duration in durations.items():
                db.execute(
                    "INSERT OR IGNORE INTO videos (video, duration, updated_at) VALUES (?, ?, ?)",
                    (video, duration, time.time()),
                )
                if duration is not None:
                    db.execute("UPDATE videos SET duration=? WHERE video=?", (duration, video))

    def set_status(self, video: str, status: str, reason: str = "") -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        with self._transaction() as db:
            self._require_video(db, video)
            db.execute(
                "UPDATE videos SET status=?, reason=?, updated_at=? WHERE video=?",
                (status, reason, time.time(), video),
            )

    def videos(self) -> pd.DataFrame:
        """One row per video: video, duration, status, reason, model, main_label, edited_seconds."""
        rows = self._db.execute(
            "SELECT video, duration, status, reason, model FROM videos ORDER BY video"
        ).fetchall()
        frame = pd.DataFrame(rows, columns=["video", "duration", "status", "reason", "model"])
        frame["main_label"] = [self.main_label(v) for v in frame["video"]]
        edited = dict(self._db.execute("SELECT video, COUNT(*) FROM human_labels GROUP BY video"))
        frame["edited_seconds"] = [int(edited.get(v, 0)) for v in frame["video"]]
        return frame

    def video(self, video: str) -> dict:
        """One video's row of `videos()`."""
        row = self._db.execute(
            "SELECT video, duration, status, reason, model FROM videos WHERE video=?", (video,)
        ).fetchone()
        if row is None:
            raise StoreError(f"{video}: not in this project")
        summary = dict(zip(("video", "duration", "status", "reason", "model"), row))
        summary["main_label"] = self.main_label(video)
        summary["edited_seconds"] = self._db.execute(
            "SELECT COUNT(*) FROM human_labels WHERE video=?", (video,)
        ).fetchone()[0]
        return summary

    def _require_video(self, db, video: str) -> None:
        if db.execute("SELECT 1 FROM videos WHERE video=?", (video,)).fetchone() is None:
            raise StoreError(f"{video}: not in this project")

    # ---- predictions -------------------------------------------------------------------------

    def save_predictions(
        self, video: str, table: pd.DataFrame, attention=None, familiarity=None
    ) -> None:
        """Replace a video's predictions with a per-second table (and attention weights and
        familiarity, if any) and mark it done; human labels are kept."""
        seconds = len(table)
        familiarity = None if familiarity is None else np.asarray(familiarity, dtype=float)
        if familiarity is not None and familiarity.shape != (seconds,):
            raise ValueError(
                f"{video}: familiarity has shape {familiarity.shape}, expected ({seconds},)"
            )
        attention = None if attention is None else np.asarray(attention, dtype=float)
        if attention is not None and attention.shape != (seconds, 2):
            raise ValueError(
                f"{video}: attention has shape {attention.shape}, expected ({seconds}, 2)"
            )
        rows = []
        for index, row in enumerate(table.itertuples(index=False)):
            weights = (None, None) if attention is None else tuple(map(float, attention[index]))
            rows.append(
                (
                    video,
                    int(row.second),
                    float(row.start),
                    float(row.end),
                    row.label,
                    float(row.confidence),
                    row.audio_label or "",
                    _float_or_none(row.audio_confidence),
                    row.visual_label or "",
                    _float_or_none(row.visual_confidence),
                    row.model,
                    *weights,
                )
            )
        duration = float(table["end"].iloc[-1]) if seconds else None
        model = str(table["model"].iloc[0]) if seconds else ""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO videos (video) VALUES (?)", (video,))
            db.execute("DELETE FROM predictions WHERE video=?", (video,))
            db.executemany("INSERT INTO predictions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            db.execute("DELETE FROM familiarity WHERE video=?", (video,))
            if familiarity is not None:
                db.executemany(
                    "INSERT INTO familiarity VALUES (?,?,?)",
                    [(video, int(s), float(v)) for s, v in zip(table["second"], familiarity)],
                )
            db.execute(
                "UPDATE videos SET status='done', reason='', model=?, duration=?, "
                "updated_at=? WHERE video=?",
                (model, duration, time.time(), video),
            )

    def predictions(self, video: str) -> pd.DataFrame:
        """The stored per-second table of a video (contract columns, source=model); may be empty."""
        rows = self._db.execute(
            "SELECT video, second, start_time, end_time, label, confidence, audio_label, "
            "audio_confidence, visual_label, visual_confidence, model FROM predictions "
            "WHERE video=? ORDER BY second",
            (video,),
        ).fetchall()
        frame = pd.DataFrame(rows, columns=PER_SECOND_COLUMNS[:-1])
        frame["source"] = MODEL
        for column in ("audio_confidence", "visual_confidence", "confidence", "start", "end"):
            frame[column] = pd.to_numeric(frame[column]).astype(float)
        frame["second"] = frame["second"].astype(np.int64)
        return frame[PER_SECOND_COLUMNS]

    def attention(self, video: str) -> np.ndarray | None:
        """(seconds, 2) weights over (audio, visual), or None when the model has none."""
        rows = self._db.execute(
            "SELECT attention_audio, attention_visual FROM predictions "
            "WHERE video=? ORDER BY second",
            (video,),
        ).fetchall()
        if not rows or rows[0][0] is None:
            return None
        return np.asarray(rows, dtype=float)

    def familiarity(self, video: str) -> np.ndarray | None:
        """Per second, how like the model's training data it is (1 = familiar), or None when
        the predictions came from a bundle without a familiarity summary."""
        rows = self._db.execute(
            "SELECT value FROM familiarity WHERE video=? ORDER BY second", (video,)
        ).fetchall()
        return np.asarray([r[0] for r in rows], dtype=float) if rows else None

    # ---- human labels ------------------------------------------------------------------------

    def set_labels(self, video: str, labels: Mapping[int, str | None], description: str) -> int:
        """Set (or with None, clear) the human label of seconds; one transaction. Returns the
        edit's id, which is in the log once this returns."""
        self._check_labels(video, labels)
        with self._transaction() as db:
            before = self._human_labels(db, video)
            return self._write_labels(db, video, labels, before, description)

    def change_labels(
        self,
        video: str,
        labels: Mapping[int, str | None],
        description: str,
        expected: Mapping[int, str | None],
        all_or_nothing: bool = False,
    ) -> LabelChange:
        """Compare-and-swap: set each second to its label only where the store still holds
        what `expected` says (None: no human label); a second someone else changed is left as
        it is and reported (with `all_or_nothing`, nothing is written then). One transaction;
        the edit logs only the seconds it changed."""
        self._check_labels(video, labels)
        with self._transaction() as db:
            return self._change(db, video, labels, description, expected, all_or_nothing)

    def change_labels_of_videos(
        self,
        labels: Mapping[str, Mapping[int, str | None]],
        description: str,
        expected: Mapping[str, Mapping[int, str | None]],
        all_or_nothing: bool = True,
    ) -> dict[str, LabelChange]:
        """`change_labels` over several videos in one transaction. All or nothing: if someone
        else changed any of the seconds, nothing is written (each video's change reports
        them); otherwise (an undo) those seconds are left as they are and the rest written.
        One edit per video in the log, all with the same description."""
        for video, seconds in labels.items():
            self._check_labels(video, seconds)
        try:
            with self._transaction() as db:
                changes = {
                    video: self._change(
                        db, video, seconds, description, expected.get(video, {}), all_or_nothing
                    )
                    for video, seconds in labels.items()
                }
                if all_or_nothing and any(c.changed_elsewhere for c in changes.values()):
                    raise _Refused(changes)  # rolls back the videos already written
        except _Refused as refused:
            return {
                video: LabelChange(None, change.before, change.changed_elsewhere)
                for video, change in refused.changes.items()
            }
        return changes

    def _change(self, db, video, labels, description, expected, all_or_nothing) -> LabelChange:
        labels = {int(s): label for s, label in labels.items()}
        current = self._human_labels(db, video)
        before = {s: current.get(s) for s in labels}
        elsewhere = {
            s: before[s] for s in labels if before[s] != expected.get(s) and before[s] != labels[s]
        }
        todo = {
            s: label for s, label in labels.items() if s not in elsewhere and before[s] != label
        }
        if elsewhere and all_or_nothing:
            todo = {}
        edit_id = self._write_labels(db, video, todo, current, description) if todo else None
        return LabelChange(edit_id, before, elsewhere)

    def _check_labels(self, video: str, labels: Mapping[int, str | None]) -> None:
        seconds_in_video = self._seconds_in(video)
        for second, label in labels.items():
            if not 0 <= int(second) < seconds_in_video:
                raise StoreError(
                    f"{video}: second {second} is outside the video (0..{seconds_in_video - 1})"
                )
            if label is not None and (not isinstance(label, str) or not label.strip()):
                raise StoreError(f"{video}: a label must be a non-empty name, not {label!r}")

    @staticmethod
    def _write_labels(
        db, video: str, labels: Mapping[int, str | None], before: dict, description: str
    ) -> int:
        """Log the edit and write its labels, inside the caller's transaction."""
        changes = {int(s): [before.get(int(s)), label] for s, label in labels.items()}
        cursor = db.execute(
            "INSERT INTO edits (video, made_at, description, changes) VALUES (?, ?, ?, ?)",
            (video, time.time(), description, json.dumps(changes)),
        )
        edit_id = cursor.lastrowid
        for second, label in labels.items():
            if label is None:
                db.execute(
                    "DELETE FROM human_labels WHERE video=? AND second=?", (video, int(second))
                )
            else:
                db.execute(
                    "INSERT OR REPLACE INTO human_labels VALUES (?, ?, ?, ?)",
                    (video, int(second), label, edit_id),
                )
        return edit_id

    def import_labels(
        self,
        labels: Mapping[str, Mapping[int, str]],
        description: str,
        durations: Mapping[str, float] | None = None,
    ) -> dict[str, int]:
        """Set the human labels of several videos in one transaction (an import): each video's
        change is one edit in the log (so undo works per video), and all of them commit or none
        does. `durations` registers videos the store did not know yet. Returns {video: edit id}."""
        edit_ids: dict[str, int] = {}
        with self._transaction() as db:
            for video, duration in (durations or {}).items():
                db.execute(
                    "INSERT OR IGNORE INTO videos (video, duration, updated_at) VALUES (?, ?, ?)",
                    (video, duration, time.time()),
                )
                db.execute(
                    "UPDATE videos SET duration=? WHERE video=? AND duration IS NULL",
                    (duration, video),
                )
            for video, seconds in labels.items():
                row = db.execute("SELECT duration FROM videos WHERE video=?", (video,)).fetchone()
                if row is None or row[0] is None:
                    raise StoreError(f"{video}: not in this project, or its duration is unknown")
                count = count_seconds(row[0])
                bad = [s for s in seconds if not 0 <= int(s) < count]
                if bad:
                    raise StoreError(
                        f"{video}: second {bad[0]} is outside the video (0..{count - 1})"
                    )
                if any(not isinstance(x, str) or not x.strip() for x in seconds.values()):
                    raise StoreError(f"{video}: a label must be a non-empty name")
                before = self._human_labels(db, video)
                changes = {int(s): [before.get(int(s)), x] for s, x in seconds.items()}
                edit_ids[video] = db.execute(
                    "INSERT INTO edits (video, made_at, description, changes) VALUES (?, ?, ?, ?)",
                    (video, time.time(), description, json.dumps(changes)),
                ).lastrowid
                db.executemany(
                    "INSERT OR REPLACE INTO human_labels VALUES (?, ?, ?, ?)",
                    [(video, int(s), x, edit_ids[video]) for s, x in seconds.items()],
                )
        return edit_ids

    def note(self, key: str) -> str | None:
        """A project note (a value an interchange format keeps between import and export)."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (f"note:{key}",)).fetchone()
        return row[0] if row else None

    def set_note(self, key: str, value: str) -> None:
        with self._transaction(content=False) as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"note:{key}", value))

    def label_names(self) -> set[str]:
        """Every label the project's predictions and human labels use."""
        rows = self._db.execute(
            "SELECT label FROM predictions UNION SELECT label FROM human_labels"
        ).fetchall()
        return {row[0] for row in rows}

    def _seconds_in(self, video: str) -> int:
        row = self._db.execute("SELECT duration FROM videos WHERE video=?", (video,)).fetchone()
        if row is None:
            raise StoreError(f"{video}: not in this project")
        if row[0] is None:
            raise StoreError(f"{video}: duration unknown (the file could not be read)")
        return count_seconds(row[0])

    @staticmethod
    def _human_labels(db, video: str) -> dict[int, str]:
        return dict(db.execute("SELECT second, label FROM human_labels WHERE video=?", (video,)))

    def human_labels(self, video: str) -> dict[int, str]:
        """{second: label} of the seconds a person has labelled."""
        return self._human_labels(self._db, video)

    def edit_log(self, video: str | None = None) -> pd.DataFrame:
        """Every committed edit, oldest first: id, video, made_at, description, changes (dict)."""
        query = "SELECT id, video, made_at, description, changes FROM edits"
        rows = self._db.execute(
            query + (" WHERE video=?" if video else "") + " ORDER BY id", (video,) if video else ()
        ).fetchall()
        frame = pd.DataFrame(rows, columns=["id", "video", "made_at", "description", "changes"])
        frame["changes"] = [{int(k): v for k, v in json.loads(c).items()} for c in frame["changes"]]
        return frame

    # ---- review ------------------------------------------------------------------------------

    def reviewed_table(self, video: str, video_column: str | None = None) -> pd.DataFrame:
        """The per-second table with human labels laid over the predictions.

        Seconds a person labelled carry source=human and confidence 1; the per-modality columns
        stay the model's own. A video with human labels but no predictions still gets rows.
        """
        table = self.predictions(video)
        if table.empty:
            table = self._unpredicted_table(video)
        human = self.human_labels(video)
        if human:
            edited = table["second"].isin(list(human))
            table.loc[edited, "label"] = table.loc[edited, "second"].map(human)
            table.loc[edited, "confidence"] = 1.0
            table.loc[edited, "source"] = HUMAN
        if video_column is not None:
            table["video"] = video_column
        return table[PER_SECOND_COLUMNS]

    def _unpredicted_table(self, video: str) -> pd.DataFrame:
        if not self.human_labels(video):
            return pd.DataFrame(columns=PER_SECOND_COLUMNS)
        duration = self.video(video)["duration"]
        seconds = count_seconds(duration)
        return per_second_table(
            video, duration, [BACKGROUND] * seconds, [1.0] * seconds, source=MODEL
        )

    def main_label(self, video: str) -> str:
        """The most frequent non-background label after review ('' when nothing is known)."""
        labels = dict(
            self._db.execute("SELECT second, label FROM predictions WHERE video=?", (video,))
        )
        labels.update(self.human_labels(video))
        return main_label(labels.values())

    def integrity_check(self) -> str:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0]


def _float_or_none(value) -> float | None:
    if value is None or value == "":
        return None
    value = float(value)
    return None if np.isnan(value) else value
