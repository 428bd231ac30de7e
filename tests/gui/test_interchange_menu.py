"""File → Import labels… and the export dialog's other formats in the real window, offscreen, on
copies of the samples."""

from __future__ import annotations

import pympi

from annotator.gui.export import ExportDialog, interchange_formats
from annotator.gui.interchange import apply_for_window, export_for_window, plan_for_window


def _opened(make_window, samples, qtbot):
    """A window on the samples once its background probes are in (a probe landing after the
    window closed would find no store)."""
    window = make_window(samples)
    qtbot.waitUntil(lambda: not window.project.unprobed(), timeout=30_000)
    return window


def test_menu_entries_follow_the_csv_export(make_window, samples, qtbot):
    window = _opened(make_window, samples, qtbot)
    file_menu = window.actions["export"].associatedObjects()
    texts = [
        a.text()
        for m in file_menu
        if hasattr(m, "actions") and m is not window
        for a in m.actions()
    ]
    at = texts.index(window.actions["export"].text())
    assert texts[at + 1] == "Import labels…"
    assert not any(text.startswith("Export as") for text in texts)  # one export entry, every format


def test_import_shows_labels_and_new_class_then_exports(make_window, samples, tmp_path, qtbot):
    window = _opened(make_window, samples, qtbot)
    window.show_video("clip_0001.mp4")
    events = tmp_path / "events.tsv"
    events.write_text(
        "filename\tonset\toffset\tevent_label\nclip_0001.mp4\t2.0\t5.0\tcuckoo clock\n",
        encoding="utf-8",
    )
    plan = plan_for_window(window, [events], None)
    assert plan.new_classes and "cuckoo clock" in plan.new_classes
    message = apply_for_window(window, plan, add_classes=True)
    assert "Imported" in message
    assert window.timeline.human[2] == "cuckoo clock"
    assert "cuckoo clock" in window.timeline.classes
    assert window.project.entry("clip_0001.mp4").edited_seconds == plan.seconds
    result = export_for_window(window, "current", "eaf", tmp_path / "eaf")
    (written,) = result.files
    eaf = pympi.Elan.Eaf(str(written))
    assert "cuckoo clock" in [
        value for _s, _e, value in eaf.get_annotation_data_for_tier("human labels")
    ]


def test_the_export_dialog_offers_a_folder_for_per_video_formats(make_window, samples, qtbot):
    window = _opened(make_window, samples, qtbot)
    dialog = ExportDialog(
        samples, has_current=False, selected=0, parent=window, formats=interchange_formats()
    )
    qtbot.addWidget(dialog)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("audacity"))
    choice = dialog.choice()
    assert (choice.scope, choice.format, choice.path) == (
        "all",
        "audacity",
        samples / "labels-audacity",
    )
    assert choice.segments is None and not dialog.with_segments.isEnabled()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("labelstudio"))
    assert dialog.choice().path == samples / "labels-labelstudio.json"
    mine = str(samples / "for-the-lab.json")
    dialog.per_second.clear()
    qtbot.keyClicks(dialog.per_second, mine)  # typed by the user: a format change keeps its
    # place and name, with the new format's ending (issue 20)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("eaf"))
    assert dialog.choice().path == samples / "for-the-lab"  # ELAN: a folder, one file a video
