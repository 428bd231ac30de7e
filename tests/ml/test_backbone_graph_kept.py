"""The backbone's ONNX graph is kept in the user's cache folder after it is first built, so a
cold `annotate` reads it instead of importing `onnx` to build it; a damaged copy is rebuilt."""

from __future__ import annotations

import numpy as np

from annotator.ml.backbone import onnx_model


def test_the_graph_is_kept_read_back_and_a_damaged_copy_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    kept = onnx_model._kept_graph_path()
    assert kept is not None and kept.is_relative_to(tmp_path) and not kept.exists()
    built = onnx_model.kept_graph()
    assert kept.read_bytes() == built == onnx_model.build_onnx_graph()
    assert onnx_model.kept_graph() == built  # read back, not built

    kept.write_bytes(b"not an onnx graph")
    backbone = onnx_model.OnnxBackbone()  # the runtime refuses the copy: built again
    assert kept.read_bytes() == built
    frames = np.random.default_rng(0).integers(0, 255, (2, 224, 224, 3), dtype=np.uint8)
    assert backbone.embed(frames).shape == (2, 1280)
