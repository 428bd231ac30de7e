"""Adding a label format is one module plus one registry line: a toy format registered here (and
removed after) is offered by `export --format`/`import --format`, guessed from its files, and
chosen in the app's import and export dialogs, which write and read it through its own code."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from annotator.cli import main
from annotator.core.formats import FORMATS
from annotator.core.formats.base import (
    Event,
    LabelFormat,
    ParsedFile,
    VideoLabels,
    check_label,
    event_runs,
    parse_time,
    read_text,
)
from annotator.gui.export import ExportDialog
from annotator.gui.interchange import ImportOptionsDialog, ask_import, label_file_filter

from conftest import PROJECT_ROOT

PINNED_CSV = PROJECT_ROOT / "tests" / "fixtures" / "pinned" / "attention.csv"


class ToyLines(LabelFormat):
    """The module of a new format, as a class: `video<TAB>start<TAB>end<TAB>label` per event."""

    name = "toy"
    title = "Toy event lines"
    suffix = ".toy"

    def can_read(self, path: Path) -> bool:
        return Path(path).suffix == self.suffix

    def parse(self, path: Path) -> ParsedFile:
        parsed = ParsedFile(Path(path))
        for number, line in enumerate(read_text(path).splitlines(), 1):
            where = f"line {number}"
            video, start, end, label = line.split("\t")
            parsed.add(
                Event(
                    video,
                    parse_time(start, path, where, "start"),
                    parse_time(end, path, where, "end"),
                    check_label(label, path, where),
                    where=where,
                )
            )
        return parsed

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        lines = [
            f"{video.path.name}\t{run.start:g}\t{run.end:g}\t{run.label}\n"
            for video in videos
            for run in event_runs(video)
        ]
        Path(out).write_text("".join(lines), encoding="utf-8")
        return [Path(out)]


@pytest.fixture
def toy_format():
    FORMATS["toy"] = ToyLines()  # the one registry line
    yield FORMATS["toy"]
    del FORMATS["toy"]


def test_the_command_line_offers_writes_and_reads_a_new_format(
    toy_format, samples, tmp_path, capsys
):
    for command in ("export", "import"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert ",toy}" in capsys.readouterr().out
    out = tmp_path / "events.toy"
    assert main(["export", str(PINNED_CSV), "--format", "toy", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("clip_0000.mp4\t0\t")
    for guessed in ([], ["--format", "toy"]):  # guessed from the file, or named
        capsys.readouterr()
        assert main(["import", str(out), "--into", str(samples), "--dry-run", *guessed]) == 0
        assert "clip_0000.mp4" in capsys.readouterr().out
    assert "*.toy" in label_file_filter()


def _when_shown(kind, act) -> None:
    """Act on the next modal dialog of type `kind` once the window's code has opened it."""

    def poll():
        widget = QApplication.activeModalWidget()
        if isinstance(widget, kind):
            act(widget)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def test_the_app_imports_and_exports_a_new_format(
    toy_format, make_window, samples, tmp_path, qtbot, monkeypatch
):
    window = make_window(samples)
    qtbot.waitUntil(lambda: not window.project.unprobed(), timeout=30_000)
    events = tmp_path / "events.toy"
    events.write_text("clip_0001.mp4\t2\t5\tcuckoo clock\n", encoding="utf-8")
    asked = {}

    def open_files(_parent, _title, _folder, file_filter):
        asked["filter"] = file_filter
        return [str(events)], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", open_files)  # the OS's file picker

    def choose_toy(dialog: ImportOptionsDialog):
        asked["import formats"] = [
            dialog.format_box.itemText(i) for i in range(dialog.format_box.count())
        ]
        dialog.format_box.setCurrentText("toy")
        _when_shown(QMessageBox, lambda box: box.button(QMessageBox.Yes).click())
        dialog.accept()

    _when_shown(ImportOptionsDialog, choose_toy)
    assert ask_import(window)
    assert "toy" in asked["import formats"] and "*.toy" in asked["filter"]
    assert window.project.store.human_labels("clip_0001.mp4") == {
        2: "cuckoo clock",
        3: "cuckoo clock",
        4: "cuckoo clock",
    }

    out = tmp_path / "out.toy"

    def export_toy(dialog: ExportDialog):
        dialog.format_box.setCurrentIndex(dialog.format_box.findData("toy"))
        dialog.per_second.setText(str(out))
        dialog.scope_buttons.button(ExportDialog.SCOPES.index("all")).setChecked(True)
        dialog.accept()

    _when_shown(ExportDialog, export_toy)
    window.ask_export()
    assert "clip_0001.mp4\t2\t5\tcuckoo clock" in out.read_text(encoding="utf-8").splitlines()
