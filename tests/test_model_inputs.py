"""The model's input names are written once (annotator/core/model_inputs.py): every other module
of the package and its scripts names them through that module's constants."""

from __future__ import annotations

import ast

from annotator.core import model_inputs

from conftest import PROJECT_ROOT

# "visual" is also a modality's and a model type's name, so only the three names that mean the
# input alone can be looked for as literals.
ONLY_INPUT_NAMES = {model_inputs.LOG_MEL, model_inputs.AUDIO_PRESENT, model_inputs.VISUAL_PRESENT}


def modules_naming_inputs() -> dict[str, list[int]]:
    """Each module with a string literal that is an input's name: the lines."""
    found = {}
    sources = [
        *(PROJECT_ROOT / "annotator").rglob("*.py"),
        *(PROJECT_ROOT / "scripts").rglob("*.py"),
    ]
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        lines = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in ONLY_INPUT_NAMES
        ]
        if lines:
            found[str(path.relative_to(PROJECT_ROOT))] = lines
    return found


def test_the_input_names_are_written_in_one_module():
    assert list(modules_naming_inputs()) == ["annotator/core/model_inputs.py"]
    assert model_inputs.MODEL_INPUTS == ("log_mel", "audio_present", "visual", "visual_present")
