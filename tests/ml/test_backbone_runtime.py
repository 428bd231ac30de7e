"""The ONNX Runtime backbone gives the Keras backbone's embeddings, to within 1e-4.

Embeddings reach about 6 in magnitude; the two runtimes differ by float32 rounding only (batch
norm folded into the convolutions, different summation order), measured at about 1e-5.
"""

import cv2
import numpy as np
import pytest
import skimage.data

from annotator.ml import efficientnet_lite as lite
from annotator.ml import efficientnet_lite_onnx as lite_onnx

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def frames():
    images = (skimage.data.chelsea(), skimage.data.coffee(), skimage.data.astronaut())
    photos = [cv2.resize(image, (224, 224), interpolation=cv2.INTER_AREA) for image in images]
    noise = np.random.default_rng(7).integers(0, 256, (5, 224, 224, 3), dtype=np.uint8)
    extremes = np.stack([np.zeros((224, 224, 3), np.uint8), np.full((224, 224, 3), 255, np.uint8)])
    return np.concatenate([np.stack(photos), noise, extremes])


def _keras_embeddings(frames):
    return np.asarray(lite.load_backbone()(frames.astype(np.float32)))


def test_onnx_embeddings_match_keras(frames):
    fast = lite_onnx.OnnxBackbone().embed(frames)
    assert fast.shape == (len(frames), 1280) and fast.dtype == np.float32
    np.testing.assert_allclose(fast, _keras_embeddings(frames), rtol=0, atol=TOLERANCE)


def test_embed_frames_runs_on_onnx_and_does_not_depend_on_batching(frames):
    assert lite_onnx.onnx_backbone() is not None
    whole = lite.embed_frames(frames)
    np.testing.assert_allclose(lite.embed_frames(frames, batch_size=3), whole, rtol=0, atol=1e-5)
    np.testing.assert_allclose(whole, _keras_embeddings(frames), rtol=0, atol=TOLERANCE)


def test_without_onnx_runtime_keras_embeds(frames, monkeypatch):
    monkeypatch.setattr(lite_onnx, "onnx_backbone", lambda: None)
    np.testing.assert_allclose(lite.embed_frames(frames[:2]), _keras_embeddings(frames[:2]),
                               rtol=0, atol=1e-5)


def test_graph_carries_every_weight_once():
    import onnx

    graph = onnx.load_from_string(lite_onnx.build_onnx_graph()).graph
    convolutions = [node for node in graph.node if node.op_type == "Conv"]
    assert len(convolutions) == 2 + 16 * 2 + 15   # stem, head; depthwise+project; expansions
    assert [i.name for i in graph.input] == ["rgb"]
    assert [o.name for o in graph.output] == ["embedding"]
