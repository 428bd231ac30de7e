"""File → Import labels… and Export as… in the real window, offscreen, on copies of the samples."""

from __future__ import annotations

import pympi

from annotator.gui.interchange import (
    ExportAsDialog,
    apply_for_window,
    export_for_window,
    plan_for_window,
)


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
    assert texts[at + 1 : at + 3] == ["Import labels…", "Export as…"]


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


def test_export_as_dialog_offers_a_folder_for_per_video_formats(make_window, samples, qtbot):
    window = _opened(make_window, samples, qtbot)
    dialog = ExportAsDialog(samples, has_current=False, selected=0, parent=window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("audacity"))
    scope, fmt, out = dialog.choice()
    assert (scope, fmt, out) == ("all", "audacity", samples / "labels-audacity")
    dialog.format.setCurrentIndex(dialog.format.findData("labelstudio"))
    assert dialog.choice()[2] == samples / "labels-labelstudio.json"
