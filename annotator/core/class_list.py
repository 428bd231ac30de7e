"""The project's own classes: the names and colours a person chose, kept in the project store.

Human labels may use classes no model knows, so the project, not a bundle, owns the list the
palette shows and the number keys follow. `background` is always there and is not in the list
(it cannot be renamed, recoloured or removed). Renaming, merging and removing a class change
the human labels that use it in the same transaction, and each video's change is written to the
edit log like any other edit, so nothing a person labelled disappears without a trace.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from .conventions import BACKGROUND
from .errors import AnnotatorError

# Distinct hues that stay readable with white text on them and as faint tints (the timeline
# draws with the same list, so a class keeps its colour everywhere). 24 of them, so a project of
# 20 classes never repeats one: the first twelve as before (projects keep their colours), then
# twelve picked one at a time as far as possible (CIELAB distance) from all before them and from
# the background grey, among colours with at least 3:1 contrast for white text; the closest two
# of the 24 are still 28 apart (tests/gui/test_review_window_defects.py checks 20).
CLASS_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#0a0acc",
    "#cc0acc",
    "#7f064d",
    "#2e067f",
    "#a57108",
    "#08a57e",
    "#04594b",
    "#7f061a",
    "#cc0a5a",
    "#0a5acc",
    "#284459",
    "#594404",
)
MAX_NAME_LENGTH = 80

_TABLE = """
CREATE TABLE IF NOT EXISTS classes (
    name TEXT PRIMARY KEY,
    colour TEXT NOT NULL,
    position INTEGER NOT NULL
);
"""
_INITIALISED_KEY = "classes_initialised"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class ClassListError(AnnotatorError):
    """A change to the class list that cannot be made (the reason says why)."""


@dataclass(frozen=True)
class ProjectClass:
    name: str
    colour: str  # "#rrggbb"


class ClassList:
    """The classes of one project store, in the order the palette shows them."""

    def __init__(self, store):
        self.store = store
        self._db = store._db
        self._db.executescript(_TABLE)

    # ---- reading -----------------------------------------------------------------------------

    def all(self) -> list[ProjectClass]:
        rows = self._db.execute("SELECT name, colour FROM classes ORDER BY position, name")
        return [ProjectClass(name, colour) for name, colour in rows]

    def names(self) -> list[str]:
        return [c.name for c in self.all()]

    def colours(self) -> dict[str, str]:
        return {c.name: c.colour for c in self.all()}

    def initialised(self) -> bool:
        """Whether the list was ever set up (an empty list a person made stays empty)."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (_INITIALISED_KEY,)).fetchone()
        return row is not None

    def labelled_seconds(self) -> dict[str, int]:
        """Human-labelled seconds per label over the whole project (background included)."""
        return dict(self._db.execute("SELECT label, COUNT(*) FROM human_labels GROUP BY label"))

    def labelled_videos(self) -> dict[str, int]:
        """Videos with at least one human-labelled second of each label."""
        return dict(
            self._db.execute("SELECT label, COUNT(DISTINCT video) FROM human_labels GROUP BY label")
        )

    # ---- changing ----------------------------------------------------------------------------

    def initialise(self, names: list[str]) -> None:
        """Set up the list once: `names` (for instance the labels already in the store and the
        current model's classes). Does nothing when the list was set up before."""
        with self.store._transaction() as db:
            if db.execute("SELECT 1 FROM meta WHERE key=?", (_INITIALISED_KEY,)).fetchone():
                return
            db.execute("INSERT INTO meta VALUES (?, '1')", (_INITIALISED_KEY,))
            self._insert_missing(db, names)

    def add(self, name: str, colour: str | None = None) -> ProjectClass:
        name = self._check_name(name)
        with self.store._transaction() as db:
            if db.execute("SELECT 1 FROM classes WHERE name=?", (name,)).fetchone():
                raise ClassListError(f"a class named {name!r} exists already")
            self._mark_initialised(db)
            colour = self._check_colour(colour) if colour else self._free_colour(db)
            db.execute("INSERT INTO classes VALUES (?, ?, ?)", (name, colour, self._next(db)))
        return ProjectClass(name, colour)

    def ensure(self, names) -> list[str]:
        """Add the labels of `names` not in the list yet (a label painted or accepted from a
        model); returns the ones added."""
        wanted = [n for n in dict.fromkeys(names) if n and n != BACKGROUND]
        if not wanted or set(wanted) <= set(self.names()):
            return []
        with self.store._transaction() as db:
            self._mark_initialised(db)
            return self._insert_missing(db, wanted)

    def recolour(self, name: str, colour: str) -> None:
        colour = self._check_colour(colour)
        with self.store._transaction() as db:
            self._require(db, name)
            db.execute("UPDATE classes SET colour=? WHERE name=?", (colour, name))

    def rename(self, old: str, new: str) -> int:
        """Rename a class and the human labels that use it; returns the seconds relabelled."""
        new = self._check_name(new)
        with self.store._transaction() as db:
            self._require(db, old)
            if new != old and db.execute("SELECT 1 FROM classes WHERE name=?", (new,)).fetchone():
                raise ClassListError(f"a class named {new!r} exists already: merge into it instead")
            db.execute("UPDATE classes SET name=? WHERE name=?", (new, old))
            return self._relabel(db, old, new, f"Rename class {old} to {new}")

    def merge(self, source: str, target: str) -> int:
        """Give `source`'s human labels to `target` (a class or background) and remove
        `source`; returns the seconds relabelled."""
        if source == target:
            raise ClassListError(f"cannot merge {source!r} into itself")
        with self.store._transaction() as db:
            self._require(db, source)
            if target != BACKGROUND:
                self._require(db, target)
            db.execute("DELETE FROM classes WHERE name=?", (source,))
            return self._relabel(db, source, target, f"Merge class {source} into {target}")

    def remove(self, name: str) -> int:
        """Remove a class; the seconds labelled with it become unlabelled again (the edit log
        keeps what they were). Returns how many seconds lost their label."""
        with self.store._transaction() as db:
            self._require(db, name)
            db.execute("DELETE FROM classes WHERE name=?", (name,))
            return self._relabel(db, name, None, f"Remove class {name}")

    def move(self, name: str, position: int) -> None:
        """Put a class at `position` in the palette order (number keys follow it)."""
        order = self.names()
        if name not in order:
            raise ClassListError(f"no class named {name!r}")
        order.remove(name)
        order.insert(max(0, min(position, len(order))), name)
        with self.store._transaction() as db:
            for index, each in enumerate(order):
                db.execute("UPDATE classes SET position=? WHERE name=?", (index, each))

    # ---- inside a transaction ----------------------------------------------------------------

    def _relabel(self, db, old: str, new: str | None, description: str) -> int:
        """Move every human label `old` to `new` (None: unlabelled), one logged edit per video."""
        rows = db.execute(
            "SELECT video, second FROM human_labels WHERE label=? ORDER BY video, second", (old,)
        ).fetchall()
        by_video: dict[str, list[int]] = {}
        for video, second in rows:
            by_video.setdefault(video, []).append(int(second))
        for video, seconds in by_video.items():
            changes = {s: [old, new] for s in seconds}
            edit_id = db.execute(
                "INSERT INTO edits (video, made_at, description, changes) VALUES (?, ?, ?, ?)",
                (video, time.time(), description, json.dumps(changes)),
            ).lastrowid
            if new is None:
                db.execute("DELETE FROM human_labels WHERE video=? AND label=?", (video, old))
            else:
                db.execute(
                    "UPDATE human_labels SET label=?, edit_id=? WHERE video=? AND label=?",
                    (new, edit_id, video, old),
                )
        return len(rows)

    def _insert_missing(self, db, names) -> list[str]:
        present = {row[0] for row in db.execute("SELECT name FROM classes")}
        added = []
        for name in dict.fromkeys(names):
            if name and name != BACKGROUND and name not in present:
                db.execute(
                    "INSERT INTO classes VALUES (?, ?, ?)",
                    (name, self._free_colour(db), self._next(db)),
                )
                present.add(name)
                added.append(name)
        return added

    @staticmethod
    def _mark_initialised(db) -> None:
        db.execute("INSERT OR IGNORE INTO meta VALUES (?, '1')", (_INITIALISED_KEY,))

    @staticmethod
    def _next(db) -> int:
        return int(db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM classes").fetchone()[0])

    @staticmethod
    def _free_colour(db) -> str:
        used = [row[0].lower() for row in db.execute("SELECT colour FROM classes")]
        free = [c for c in CLASS_COLOURS if c not in used]
        return free[0] if free else CLASS_COLOURS[len(used) % len(CLASS_COLOURS)]

    @staticmethod
    def _require(db, name: str) -> None:
        if name == BACKGROUND:
            raise ClassListError(
                "background is always there: it cannot be renamed, recoloured, merged or removed"
            )
        if db.execute("SELECT 1 FROM classes WHERE name=?", (name,)).fetchone() is None:
            raise ClassListError(f"no class named {name!r}")

    @staticmethod
    def _check_name(name: str) -> str:
        name = (name or "").strip()
        if not name:
            raise ClassListError("a class needs a name")
        if name.lower() == BACKGROUND:
            raise ClassListError("background is always there (key 0): choose another name")
        if len(name) > MAX_NAME_LENGTH:
            raise ClassListError(f"a class name has at most {MAX_NAME_LENGTH} characters")
        if any(ord(ch) < 32 for ch in name):
            raise ClassListError("a class name cannot hold line breaks or control characters")
        return name

    @staticmethod
    def _check_colour(colour: str) -> str:
        if not isinstance(colour, str) or not _COLOUR.match(colour):
            raise ClassListError(f"a colour is written #rrggbb, not {colour!r}")
        return colour.lower()
