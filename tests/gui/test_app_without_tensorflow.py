"""The app's own process never imports TensorFlow or Keras.

TensorFlow crashes on import in a process where Qt has loaded Mesa's OpenGL, and it costs
seconds of start-up; the app therefore leaves it to the annotation process
(``gui/annotation_process.py``). This runs the window's everyday path in a fresh interpreter (a
test process has long imported TensorFlow) and looks at ``sys.modules`` afterwards: a
TensorFlow import anywhere on that path, even an indirect one, fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from annotator.ml.bundle import MODELS_ENV

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Open the window, list the bundles, open a folder of videos, let the probes and the first
# video's preview arrive, then report what was imported.
APP_SESSION = r"""
import json, sys, time
from PySide6.QtCore import QSettings
from annotator.gui.app import application
from annotator.gui.main_window import MainWindow
from annotator.gui.settings import AppSettings

folder, settings_path = sys.argv[1], sys.argv[2]
app = application()
window = MainWindow(AppSettings(QSettings(settings_path, QSettings.IniFormat)))
window.show()
window.bundle_panel.reload()
opened = window.open_folder(folder)
deadline = time.monotonic() + 120
while time.monotonic() < deadline and (window.project.unprobed() or not window.timeline.preview_complete()):
    app.processEvents()
    time.sleep(0.02)
app.processEvents()
report = {
    "opened": opened,
    "bundles": [b.name for b in window.bundle_panel.bundles],
    "chosen": getattr(window.bundle_panel.current(), "name", None),
    "videos": window.project.names(),
    "unprobed": [e.name for e in window.project.unprobed()],
    "thumbnails": window.timeline.preview.layout.seconds if window.timeline.preview_complete() else 0,
    "shown": window.timeline.video,
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")),
}
window.close()
print(json.dumps(report))
"""


def test_window_bundles_and_project_never_import_tensorflow(samples, models_dir, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **{MODELS_ENV: str(models_dir)})
    done = subprocess.run(
        [sys.executable, "-c", APP_SESSION, str(samples), str(tmp_path / "settings.ini")],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # The session really did what the app does: bundles listed, folder opened, videos probed,
    # the first one shown with its pictures.
    assert report["opened"] and report["bundles"] and report["chosen"] in report["bundles"]
    assert report["videos"] and not report["unprobed"]
    assert report["shown"] == report["videos"][0] and report["thumbnails"] > 0
    assert report["heavy"] == [], f"the app's process imported {report['heavy'][:5]}"
