"""The plain functions behind issue 20's window fixes: undo history from an edit log, an export
name following its format, a folder's default model, and the class keys."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from annotator.core.formats import FORMATS
from annotator.gui.class_picker import keyless_classes, number_keys
from annotator.gui.edits import undoable_edits
from annotator.gui.export import follow_format


def _log(*entries):
    return pd.DataFrame(
        {"description": [d for d, _ in entries], "changes": [c for _, c in entries]}
    )


def test_undo_history_replays_undo_redo_and_starts_afresh_at_a_class_change():
    a, b, c = (
        ({1: [None, "x"]}, "Label 1 s x"),
        ({2: [None, "y"]}, "Label 2 s y"),
        (
            {3: ["y", None]},
            "Clear human labels 3 s",
        ),
    )
    log = _log((a[1], a[0]), (b[1], b[0]), ("undo: " + b[1], {2: ["y", None]}), (c[1], c[0]))
    assert [text for _before, _after, text in undoable_edits(log)] == [a[1], c[1]]
    log = _log((a[1], a[0]), (b[1], b[0]), ("undo: " + b[1], {}), ("redo: " + b[1], {}))
    assert [text for *_, text in undoable_edits(log)] == [a[1], b[1]]
    before, after, _ = undoable_edits(log)[0]
    assert (before, after) == ({1: None}, {1: "x"})
    log = _log((a[1], a[0]), ("Rename class x to z", {1: ["x", "z"]}), (b[1], b[0]))
    assert [text for *_, text in undoable_edits(log)] == [b[1]]
    assert len(undoable_edits(_log(*[(a[1], a[0])] * 300), limit=200)) == 200


def test_an_export_name_follows_its_format():
    assert follow_format(Path("/x/labels.csv"), FORMATS["labelstudio"]) == Path("/x/labels.json")
    assert follow_format(Path("/x/labels.csv"), FORMATS["eaf"]) == Path("/x/labels")
    assert follow_format(Path("/x/labels"), FORMATS["dcase"]) == Path("/x/labels.tsv")
    assert follow_format(Path("/x/labels.tsv"), None) == Path("/x/labels.csv")


def test_nine_classes_have_number_keys_the_rest_the_picker():
    classes = [f"c{i}" for i in range(1, 13)] + ["background"]
    keys = number_keys(classes)
    assert keys["c1"] == 1 and keys["c9"] == 9 and keys["background"] == 0
    assert "c10" not in keys
    assert keyless_classes(classes) == ["c10", "c11", "c12"]
