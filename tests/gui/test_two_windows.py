"""Two windows (and another process) on one folder: no edit is lost or overwritten unseen.

The sequence a reviewer lost an edit with: window A labels a second; the second window, opened
on the same folder, labels it too; A undoes. Now the second window is read-only (it says so and
shows A's edits), and a write from another process (as an import would make) is never undone
by A's stale undo.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from annotator.core.csv_io import read_per_second_csv

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Another process writes a label straight into the store, as `import` or a script would.
_OTHER_PROCESS = """
import sys
from annotator.core.store import ProjectStore
store = ProjectStore.for_folder(sys.argv[1])
store.set_labels(sys.argv[2], {int(sys.argv[3]): "Flat tyre"}, "Label by another process")
store.close()
"""


def _write_elsewhere(folder, video, second) -> None:
    subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(folder), video, str(second)],
        check=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )


def test_two_windows_on_one_folder_cannot_lose_an_edit(make_window, annotated, tmp_path):
    first, second = make_window(annotated), make_window(annotated)
    name = first.project.names()[0]
    assert not first.project.read_only and second.project.read_only
    assert second.windowTitle().endswith("(read-only)")
    assert second.review_status.writer.text() == "read-only"
    for window in (first, second):
        window.folder_view.select(name)

    first.timeline.seek(3.5)
    assert first.review.assign("Sparkler")
    assert first.review_status.saved.text().startswith("✓ saved")
    second.project.poll()  # the timer does this every second
    assert second.timeline.human == {3: "Sparkler"}  # it shows A's edit, not a stale view

    second.timeline.seek(3.5)
    assert not second.review.assign("Flat tyre")  # refused, and said (no box: see issue 20)
    assert "read-only" in second.statusBar().currentMessage().lower()
    assert second.review_status.saved.text() == "✗ last edit not saved"
    assert first.project.store.human_labels(name) == {3: "Sparkler"}

    # Someone else (another process) labels the same second; A undoes before it has looked.
    _write_elsewhere(annotated, name, 3)
    first.actions["undo"].trigger()
    store = first.project.store
    assert store.human_labels(name) == {3: "Flat tyre"}
    assert "Undone: Label 3 s Sparkler" in first.statusBar().currentMessage()
    assert "changed elsewhere since" in first.statusBar().currentMessage()
    assert first.timeline.human == {3: "Flat tyre"}
    for changes in store.edit_log(name)["changes"]:
        assert changes.get(3) != ["Flat tyre", None]  # no undo wrote over 'Flat tyre'

    # A paint from a stale view over a second someone else just labelled is refused whole.
    _write_elsewhere(annotated, name, 5)
    first.timeline.set_active_label("Sparkler")
    assert not first.review.paint(4, 7, "Sparkler")
    first._message_box.close()
    assert store.human_labels(name) == {3: "Flat tyre", 5: "Flat tyre"}
    assert first.timeline.human == {3: "Flat tyre", 5: "Flat tyre"}
    assert store.integrity_check() == "ok"

    # A closes: the second window takes over editing by itself, and exports the human labels.
    first.close()
    second.project.poll()
    assert not second.project.read_only and "(read-only)" not in second.windowTitle()
    assert second.timeline.human == {3: "Flat tyre", 5: "Flat tyre"}
    second.timeline.seek(6.2)
    assert second.review.assign("Sparkler")
    out = tmp_path / "second.csv"
    assert second.export("current", out)
    rows = read_per_second_csv(out).set_index("second")
    assert list(rows.loc[[3, 5, 6], "source"]) == ["human"] * 3
    assert list(rows.loc[[3, 5, 6], "label"]) == ["Flat tyre", "Flat tyre", "Sparkler"]
    assert second.project.store.integrity_check() == "ok"
