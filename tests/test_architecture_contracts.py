"""The layering (cli → gui → ml → core; Qt only in gui; no TensorFlow in core) is enforced by
import-linter contracts in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

from conftest import PROJECT_ROOT


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint_imports), "--config", "pyproject.toml"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" in done.stdout and "0 broken" in done.stdout
