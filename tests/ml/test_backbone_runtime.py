"""The ONNX Runtime backbone gives the Keras backbone's embeddings, to within 1e-4.

Embeddings reach about 6 in magnitude; the two runtimes differ by float32 rounding only (batch
norm folded into the convolutions, different summation order), measured at about 1e-5.
"""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from annotator.ml.backbone import onnx_model
from annotator.ml.backbone.embedding import embed_frames
from annotator.ml.backbone.keras_model import load_backbone

TOLERANCE = 1e-4
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Embed one frame through the feature pipeline's entry point in a fresh interpreter (this test
# process has long imported TensorFlow) and report what that imported.
EMBED_ALONE = r"""
import json, sys
import numpy as np
from annotator.ml.backbone import onnx_model
from annotator.ml.backbone.embedding import embed_frames
frame = np.random.default_rng(3).integers(0, 256, (1, 224, 224, 3), dtype=np.uint8)
embedding = embed_frames(frame)
print(json.dumps({
    "onnx": onnx_model.onnx_backbone() is not None,
    "shape": list(embedding.shape),
    "spread": float(embedding.std()),
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")),
}))
"""


@pytest.fixture(scope="module")
def frames():
    images = (skimage.data.chelsea(), skimage.data.coffee(), skimage.data.astronaut())
    photos = [cv2.resize(image, (224, 224), interpolation=cv2.INTER_AREA) for image in images]
    noise = np.random.default_rng(7).integers(0, 256, (5, 224, 224, 3), dtype=np.uint8)
    extremes = np.stack([np.zeros((224, 224, 3), np.uint8), np.full((224, 224, 3), 255, np.uint8)])
    return np.concatenate([np.stack(photos), noise, extremes])


def _keras_embeddings(frames):
    return np.asarray(load_backbone()(frames.astype(np.float32)))


def test_onnx_embeddings_match_keras(frames):
    fast = onnx_model.OnnxBackbone().embed(frames)
    assert fast.shape == (len(frames), 1280) and fast.dtype == np.float32
    np.testing.assert_allclose(fast, _keras_embeddings(frames), rtol=0, atol=TOLERANCE)


def test_embed_frames_runs_on_onnx_and_does_not_depend_on_batching(frames):
    assert onnx_model.onnx_backbone() is not None
    whole = embed_frames(frames)
    np.testing.assert_allclose(embed_frames(frames, batch_size=3), whole, rtol=0, atol=1e-5)
    np.testing.assert_allclose(whole, _keras_embeddings(frames), rtol=0, atol=TOLERANCE)


def test_without_onnx_runtime_keras_embeds(frames, monkeypatch):
    monkeypatch.setattr(onnx_model, "onnx_backbone", lambda: None)
    np.testing.assert_allclose(
        embed_frames(frames[:2]), _keras_embeddings(frames[:2]), rtol=0, atol=1e-5
    )


def test_graph_carries_every_weight_once():
    import onnx

    graph = onnx.load_from_string(onnx_model.build_onnx_graph()).graph
    convolutions = [node for node in graph.node if node.op_type == "Conv"]
    assert len(convolutions) == 2 + 16 * 2 + 15  # stem, head; depthwise+project; expansions
    assert [i.name for i in graph.input] == ["rgb"]
    assert [o.name for o in graph.output] == ["embedding"]


def test_embedding_on_onnx_imports_no_tensorflow():
    done = subprocess.run(
        [sys.executable, "-c", EMBED_ALONE],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["onnx"] and report["shape"] == [1, 1280] and report["spread"] > 0
    assert report["heavy"] == [], f"embedding a frame imported {report['heavy'][:5]}"
