"""The project installs as a Python package: a wheel with the `av-annotator` command and the
shipped bundles and samples as data files, and the command runs the same CLI as main.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import PROJECT_ROOT


@pytest.mark.slow
def test_the_wheel_carries_the_command_and_the_shipped_bundles_and_samples(tmp_path):
    source = tmp_path / "source"
    # Built from a copy, so the build leaves nothing in the checkout.
    shutil.copytree(
        PROJECT_ROOT / "annotator",
        source / "annotator",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(PROJECT_ROOT / "models", source / "models")
    shutil.copytree(
        PROJECT_ROOT / "resources" / "samples",
        source / "resources" / "samples",
        ignore=shutil.ignore_patterns(".av-annotator"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT_ROOT / name, source / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("av_annotator-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(
            archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt")
        )
    assert "av-annotator = annotator.__main__:main" in entry_points
    data = "av_annotator-0.1.0.data/data/share/av-annotator/"
    for bundle in ("attention", "audio", "fusion", "visual"):
        assert {data + f"models/{bundle}/card.json", data + f"models/{bundle}/model.keras"} <= names
    assert data + "samples/labels.csv" in names
    assert "annotator/core/locations.py" in names and not any(n.startswith("tests/") for n in names)


def test_the_command_lists_the_shipped_bundles_like_main_py(monkeypatch, capsys):
    from annotator.__main__ import main

    monkeypatch.delenv("AV_ANNOTATOR_MODELS", raising=False)
    monkeypatch.setattr(sys, "argv", ["av-annotator", "models", "--json"])
    assert main() == 0
    names = {card["name"] for card in json.loads(capsys.readouterr().out)}
    shipped = {p.parent.name for p in (PROJECT_ROOT / "models").glob("*/card.json")}
    assert names == shipped
