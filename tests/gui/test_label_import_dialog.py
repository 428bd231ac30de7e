"""File → Import labels… in the real window, offscreen: the options dialog (format, minimum
cover, ELAN tiers with their annotation counts), the dry run that names every event the
per-second conversion loses, and the status line after the real run that repeats it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from annotator.core.formats import ReadOptions
from annotator.gui.export import ExportDialog, interchange_formats
from annotator.gui.interchange import (
    ImportOptionsDialog,
    apply_for_window,
    ask_import,
    plan_for_window,
)

pytestmark = pytest.mark.gui
FIXTURES = Path(__file__).parents[1] / "fixtures" / "interchange"


def test_the_dialog_lists_elan_tiers_with_their_counts(qtbot):
    dialog = ImportOptionsDialog([FIXTURES / "elan" / "test2.eaf"])
    qtbot.addWidget(dialog)
    items = [dialog.tier_list.item(i) for i in range(dialog.tier_list.count())]
    assert [item.text() for item in items] == [
        "Person1 (Utterance) (8 annotations)",
        "marker (3 annotations)",
        "Person1 (Chunk) (12 annotations)",
        "Person1 (ChunkLanguage) (12 annotations)",
        "Person1 (Language) (8 annotations)",
        "R004 (Utterance) (0 annotations)",
    ]
    assert dialog.choice() == (None, ReadOptions())
    items[1].setCheckState(Qt.Checked)
    dialog.cover_box.setCurrentText("any")
    dialog.format_box.setCurrentText("eaf")
    assert dialog.choice() == ("eaf", ReadOptions(min_cover=0.0, tiers=("marker",)))
    plain = ImportOptionsDialog([FIXTURES / "audacity" / "spinetail.txt"])
    qtbot.addWidget(plain)
    assert plain.tier_list.count() == 0


def test_import_shows_and_reports_the_events_it_loses(make_window, samples, qtbot, monkeypatch):
    """A real Audacity track of canary syllables named after a sample clip: 11 of its 19
    syllables are shorter than the seconds they share, and the app says which, before and
    after."""
    window = make_window(samples)
    qtbot.waitUntil(lambda: not window.project.unprobed(), timeout=30_000)
    track = shutil.copy(
        FIXTURES / "audacity" / "103_marron1_May_24_2016_73006746.audacity.txt",
        samples / "clip_0000.txt",
    )
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *args, **kw: ([str(track)], ""))
    )
    monkeypatch.setattr(ImportOptionsDialog, "exec", lambda self: QDialog.Accepted)
    asked = []

    def answer(box):
        asked.append((box.text(), box.detailedText()))
        return QMessageBox.Yes

    monkeypatch.setattr(QMessageBox, "exec", answer)
    assert ask_import(window)
    ((question, details),) = asked
    assert question.startswith(
        "Lost: 11 event(s) lost to the per-second conversion (min cover 0.5): "
    )
    for label in ("'Ci'", "'H'", "'J2'", "'call'"):
        assert label in question
    assert "clip_0000.txt (audacity): 19 event(s): 8 kept (1 merged with a neighbour), 11 lost" in (
        details
    )
    assert "lost: clip_0000.mp4: 'call' 0.919–1.235 s (line 2; went to 'SIL')" in details
    status = window.statusBar().currentMessage()
    assert status.startswith("Imported 10 second(s) of 1 video(s) from clip_0000.txt; 11 event(s)")
    assert "'call'" in status
    assert window.project.human_labels("clip_0000.mp4")[0] == "SIL"


def test_the_export_dialog_offers_literal_labels_for_tsv_formats(make_window, samples, qtbot):
    window = make_window(samples)
    qtbot.waitUntil(lambda: not window.project.unprobed(), timeout=30_000)
    track = samples / "clip_0001.txt"
    track.write_text("1.0\t3.0\t=SUM(A1)\n", encoding="utf-8")
    plan = plan_for_window(window, [track], None)
    apply_for_window(window, plan, add_classes=True)
    dialog = ExportDialog(samples, False, 0, window, formats=interchange_formats())
    qtbot.addWidget(dialog)
    assert not dialog.literal.isEnabled()  # the CSVs are always spreadsheet-safe
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("dcase"))
    assert dialog.literal.isEnabled() and not dialog.choice().literal_labels
    safe = dialog.choice()
    window.export_in_format(safe.scope, safe.format, safe.path, safe.literal_labels)
    assert "\t'=SUM(A1)" in safe.path.read_text(encoding="utf-8")
    dialog.literal.setChecked(True)
    literal = dialog.choice()
    assert literal.literal_labels
    window.export_in_format(literal.scope, literal.format, literal.path, literal.literal_labels)
    assert "\t=SUM(A1)" in literal.path.read_text(encoding="utf-8")
