"""GUI fixtures: the real main window, offscreen, on copies of the real sample clips and bundles.

The shipped bundles (models/) and samples (resources/samples) are used when present. On a tree
where they are not built yet, a dozen-second demo set is rendered and a throwaway attention
bundle trained by the project's own `train`, so the tests still run real models on real files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from annotator.gui import refcount_guard
from annotator.ml.bundle import MODELS_ENV

# Before pytest-qt builds its QApplication: see refcount_guard (PySide6 6.12.0 on Python 3.11).
refcount_guard.install()

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MODELS = PROJECT_ROOT / "models"
SHIPPED_SAMPLES = PROJECT_ROOT / "resources" / "samples"
ANNOTATE_TIMEOUT_MS = 180_000


def _shipped_bundle_ready() -> bool:
    return (SHIPPED_MODELS / "attention" / "card.json").exists() and (
        SHIPPED_MODELS / "attention" / "model.keras"
    ).exists()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    if _shipped_bundle_ready():
        return SHIPPED_MODELS
    from annotator.ml.training import train

    spec = tmp_path_factory.mktemp("train-spec")
    from annotator.core.demo.demo_data import generate_demo_data

    generate_demo_data(spec, clips=6, seed=31)
    out = tmp_path_factory.mktemp("models")
    train(spec, "attention", out / "attention", epochs=2)
    return out


@pytest.fixture
def bundles(models_dir, monkeypatch) -> Path:
    """Point the app at the bundles for the length of a test."""
    monkeypatch.setenv(MODELS_ENV, str(models_dir))
    return models_dir


@pytest.fixture(scope="session")
def samples_source(tmp_path_factory) -> Path:
    """The sample clips: the shipped ones, else four rendered demo clips."""
    if (SHIPPED_SAMPLES / "labels.csv").exists():
        return SHIPPED_SAMPLES
    from annotator.core.demo.demo_data import generate_demo_data

    out = tmp_path_factory.mktemp("samples")
    generate_demo_data(out, clips=4, seed=4243)
    return out


def copy_videos(source: Path, target: Path) -> Path:
    """Copy a folder's clips (and its project store, if any) so tests write only in tmp."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_dir():
            shutil.copytree(path, target / path.name)
        else:
            shutil.copy2(path, target / path.name)
    return target


@pytest.fixture
def samples(samples_source, tmp_path) -> Path:
    return copy_videos(samples_source, tmp_path / "samples")


@pytest.fixture
def settings(tmp_path):
    from annotator.gui.settings import AppSettings

    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))


@pytest.fixture
def make_window(qtbot, settings, bundles):
    """Build real main windows; each is closed (store closed, threads joined) at the end."""
    from annotator.gui.main_window import MainWindow

    windows = []

    def make(folder=None, window_settings=None, cache_dir=None):
        window = MainWindow(window_settings or settings, cache_dir=cache_dir)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        if folder is not None:
            assert window.open_folder(folder)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


@pytest.fixture
def annotate_all(qtbot):
    """Click 'Annotate all' in a window and wait for the run's summary."""
    from PySide6.QtCore import Qt

    def click_and_wait(window) -> str:
        with qtbot.waitSignal(window.annotation.runFinished, timeout=ANNOTATE_TIMEOUT_MS) as run:
            qtbot.mouseClick(window.annotation_panel.all_button, Qt.LeftButton)
        return run.args[0]

    return click_and_wait


@pytest.fixture(scope="session")
def annotated_source(samples_source, models_dir, tmp_path_factory, qapp) -> Path:
    """The samples annotated once by the real window; tests copy this folder (store included)."""
    import os

    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    folder = copy_videos(samples_source, tmp_path_factory.mktemp("annotated") / "samples")
    previous = os.environ.get(MODELS_ENV)
    os.environ[MODELS_ENV] = str(models_dir)
    try:
        settings = AppSettings(QSettings(str(folder.parent / "settings.ini"), QSettings.IniFormat))
        window = MainWindow(settings)
        window.open_folder(folder)
        done = []
        window.annotation.runFinished.connect(done.append)
        assert window.annotate_all()
        from pytestqt.qtbot import QtBot

        QtBot(qapp).waitUntil(lambda: bool(done), timeout=ANNOTATE_TIMEOUT_MS)
        window.close()
    finally:
        if previous is None:
            os.environ.pop(MODELS_ENV, None)
        else:
            os.environ[MODELS_ENV] = previous
    return folder


@pytest.fixture
def annotated(annotated_source, tmp_path) -> Path:
    return copy_videos(annotated_source, tmp_path / "annotated")


@pytest.fixture
def review_session(annotated, qapp):
    """(actions, project, timeline, first video's name) over a copy of the annotated samples,
    without a window; the caller sets the classes and shows the video it needs."""
    from annotator.gui.edits import ReviewActions
    from annotator.gui.project import ProjectState
    from annotator.gui.timeline.state import TimelineState

    project = ProjectState()
    project.open_folder(annotated)
    timeline = TimelineState()
    actions = ReviewActions(project, timeline)
    yield actions, project, timeline, project.names()[0]
    project.close()
