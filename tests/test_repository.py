"""The repository stands on its own: nothing in it points outside it, and the README stays a
user guide (the measurements and the history live in docs/ and CHANGELOG.md)."""

import os
import re
import subprocess

import pytest

from conftest import PROJECT_ROOT

# Places on the machines the project was built on; a clone elsewhere has none of them.
OUTSIDE = re.compile(r"\.\./shared|(?<![\w.])/(work|home|Users)/|\b(SEED|DESIGN|STYLE)\.md\b")
# Other tools' real files kept byte for byte as test data: the media paths they record are their
# authors' (tests/fixtures/interchange/SOURCES.md), which the import must cope with.
THIRD_PARTY_DATA = "tests/fixtures/interchange/"


def _tracked() -> list[str]:
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, timeout=60
        )
    except FileNotFoundError:
        pytest.skip("git is not installed")
    if done.returncode != 0:
        pytest.skip("not a git checkout (an unpacked source tree)")
    return [name for name in done.stdout.decode().split("\0") if name]


def test_no_tracked_symlink_leaves_the_repository():
    root = PROJECT_ROOT.resolve()
    leaving = [
        name
        for name in _tracked()
        if (PROJECT_ROOT / name).is_symlink()
        and not (PROJECT_ROOT / name).resolve().is_relative_to(root)
    ]
    assert leaving == []


def test_no_tracked_file_refers_to_a_path_outside_the_repository():
    found = []
    for name in _tracked():
        path = PROJECT_ROOT / name
        if path.is_symlink() or not path.is_file() or os.path.getsize(path) > 2_000_000:
            continue
        if name.startswith(THIRD_PARTY_DATA) and not name.endswith(".md"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # media, model weights
        found += [
            f"{name}:{number}: {line.strip()[:100]}"
            for number, line in enumerate(text.splitlines(), 1)
            if OUTSIDE.search(line)
        ]
    assert found == []


def test_the_readme_is_a_guide_not_a_notebook():
    lines = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 450, f"README.md has {len(lines)} lines; move details to docs/"
