"""EfficientNet-Lite0: the weights reader, the Keras graph, and whether it still sees a cat."""

import io
import pickle
import struct
import sys
import types

import cv2
import keras
import numpy as np
import pytest
import skimage.data

from annotator.ml.backbone import keras_model, spec, weights
from annotator.ml.backbone.embedding import embed_frames
from annotator.ml.backbone.weights import LEGACY_MAGIC_NUMBER, read_legacy_state_dict

# The ImageNet classes the photographs may be called, for readable failure messages.
CAT_CLASSES = {
    281: "tabby",
    282: "tiger cat",
    283: "Persian cat",
    284: "Siamese cat",
    285: "Egyptian cat",
}
COFFEE_CLASSES = {967: "espresso", 968: "cup", 504: "coffee mug"}


# The first three pickles of every legacy file: magic number, protocol, system info.
_HEADER = (LEGACY_MAGIC_NUMBER, 1001, {"protocol_version": 1001, "little_endian": True})


def _frame(image: np.ndarray) -> np.ndarray:
    """Squash the whole photograph to 224x224, as the video pipeline does."""
    return cv2.resize(image, (224, 224), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def state():
    return read_legacy_state_dict(weights.weights_path())


@pytest.fixture(scope="module")
def classifier():
    return keras_model.load_backbone(include_top=True)


@pytest.fixture(scope="module")
def photos():
    return {"cat": _frame(skimage.data.chelsea()), "coffee": _frame(skimage.data.coffee())}


def _probabilities(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- the weights file


def test_reader_gives_the_lite0_state_dict(state):
    assert len(state) == 296
    assert list(state)[:2] == ["_conv_stem.weight", "_bn0.weight"]
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_blocks.0._depthwise_conv.weight"].shape == (32, 1, 3, 3)
    assert state["_blocks.3._depthwise_conv.weight"].shape == (144, 1, 5, 5)
    assert state["_blocks.15._project_conv.weight"].shape == (320, 1152, 1, 1)
    assert state["_conv_head.weight"].shape == (1280, 320, 1, 1)
    assert state["_fc.weight"].shape == (1000, 1280)
    floats = [a for name, a in state.items() if not name.endswith("num_batches_tracked")]
    assert all(a.dtype == np.float32 and a.flags.c_contiguous for a in floats)
    assert sum(a.size for a in floats) == pytest.approx(4.69e6, rel=0.005)


def test_parameter_and_multiply_add_counts_match_the_model(state, classifier):
    assert weights.PARAMETER_COUNT == classifier.count_params()
    assert weights.PARAMETER_COUNT == sum(
        a.size for name, a in state.items() if not name.endswith("num_batches_tracked")
    )
    # The published 407 M also counts batch norm and activations; convolutions are ~385 M.
    assert keras_model.count_multiply_adds(classifier) == pytest.approx(
        spec.MULTIPLY_ADDS_PER_IMAGE, rel=0.1
    )


def test_truncated_file_is_a_clear_error(tmp_path):
    whole = weights.weights_path().read_bytes()
    for cut in (100, 30_000, len(whole) - 1000):
        damaged = tmp_path / f"cut{cut}.pth"
        damaged.write_bytes(whole[:cut])
        with pytest.raises(ValueError, match=f"cut{cut}.pth.*"):
            read_legacy_state_dict(damaged)
    with pytest.raises(ValueError, match="truncated"):
        read_legacy_state_dict(damaged)


def test_other_files_are_a_clear_error(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("not weights at all\n")
    with pytest.raises(ValueError, match="notes.pth"):
        read_legacy_state_dict(text)
    zipped = tmp_path / "modern.pth"
    zipped.write_bytes(b"PK\x03\x04" + bytes(100))  # the zip format torch.save uses today
    with pytest.raises(ValueError, match="modern.pth"):
        read_legacy_state_dict(zipped)


def test_reader_refuses_to_call_anything_else(tmp_path):
    header = b"".join(pickle.dumps(v, protocol=2) for v in _HEADER)
    hostile = tmp_path / "hostile.pth"
    hostile.write_bytes(header + b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R.")
    with pytest.raises(ValueError, match="hostile.pth.*refusing to load os.system"):
        read_legacy_state_dict(hostile)


def test_reader_honours_offsets_and_strides(tmp_path, monkeypatch):
    # A 2x3 tensor stored transposed, 2 elements into its storage, as torch would save a view.
    storage = np.arange(10, dtype="<f4")
    path = tmp_path / "view.pth"
    path.write_bytes(_legacy_bytes(monkeypatch, {"view": ("0", 2, (2, 3), (1, 2))}, {"0": storage}))
    view = read_legacy_state_dict(path)["view"]
    np.testing.assert_array_equal(view, [[2, 4, 6], [3, 5, 7]])


def _legacy_bytes(monkeypatch, tensors: dict, storages: dict) -> bytes:
    """A legacy file written the way torch does, with stand-in torch modules (no torch here)."""
    fake_torch = types.ModuleType("torch")
    fake_utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise AssertionError("only pickled, never called")

    FloatStorage.__module__, _rebuild_tensor_v2.__module__ = "torch", "torch._utils"
    FloatStorage.__qualname__, _rebuild_tensor_v2.__qualname__ = (
        "FloatStorage",
        "_rebuild_tensor_v2",
    )
    fake_torch.FloatStorage, fake_utils._rebuild_tensor_v2 = FloatStorage, _rebuild_tensor_v2
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    monkeypatch.setitem(sys.modules, "torch._utils", fake_utils)

    class Storage(tuple):
        pass

    class Tensor(tuple):
        def __reduce__(self):
            return _rebuild_tensor_v2, tuple(self)

    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                key, size = obj
                return ("storage", FloatStorage, key, "cpu", size, None)
            return None

    out = io.BytesIO()
    for value in _HEADER:
        pickle.dump(value, out, protocol=2)
    state = {
        name: Tensor((Storage((key, storages[key].size)), offset, size, stride, False, {}))
        for name, (key, offset, size, stride) in tensors.items()
    }
    Writer(out, protocol=2).dump(state)
    pickle.dump(sorted(storages), out, protocol=2)
    for key in sorted(storages):
        out.write(struct.pack("<q", storages[key].size) + storages[key].tobytes())
    return out.getvalue()


# ----------------------------------------------------------------------------- the photograph test


@pytest.mark.parametrize("photo, expected", [("cat", CAT_CLASSES), ("coffee", COFFEE_CLASSES)])
def test_backbone_recognises_the_photograph(classifier, photos, photo, expected):
    probabilities = _probabilities(np.asarray(classifier(photos[photo][None])))[0]
    top5 = np.argsort(-probabilities)[:5]
    described = [
        (int(i), expected.get(int(i), "?"), round(float(probabilities[i]), 3)) for i in top5
    ]
    assert int(top5[0]) in expected, f"{photo}: top-5 {described}"


def test_preprocessing_matches_what_the_weights_were_trained_on(classifier, photos):
    # The stem's batch-norm statistics record the inputs seen in training: the built-in
    # (x - 127) / 128 must fit them better than ImageNet mean/std would (by ~3x on these
    # four photographs; two alone are too few to estimate the spread reliably).
    stem = keras.Model(classifier.input, classifier.get_layer("stem_conv").output)
    running_var = classifier.get_layer("stem_bn").moving_variance.numpy()
    more = [_frame(skimage.data.astronaut()), _frame(skimage.data.rocket())]
    frames = np.stack(list(photos.values()) + more).astype(np.float32)
    mean = np.array([0.485, 0.456, 0.406]) * 255
    std = np.array([0.229, 0.224, 0.225]) * 255
    as_if_imagenet = (frames - mean) / std * spec.INPUT_SCALE + spec.INPUT_MEAN

    def misfit(images):
        variance = np.asarray(stem(images.astype(np.float32))).reshape(-1, 32).var(axis=0)
        return np.median(np.abs(np.log((variance + 1e-3) / (running_var + 1e-3))))

    assert misfit(frames) < 0.5 * misfit(as_if_imagenet)


# ----------------------------------------------------------------------------- embeddings


def test_embed_frames_gives_one_embedding_per_frame(photos):
    frames = np.stack([photos["cat"], photos["coffee"]])
    embeddings = embed_frames(frames)
    assert embeddings.shape == (2, 1280) and embeddings.dtype == np.float32
    assert np.all(np.isfinite(embeddings))
    assert not np.allclose(embeddings[0], embeddings[1], atol=1e-2)
    np.testing.assert_allclose(embed_frames(frames, batch_size=1), embeddings, rtol=1e-4, atol=1e-4)


def test_embedding_is_the_pooled_features_before_the_classifier(classifier, photos, state):
    frames = np.stack([photos["cat"], photos["coffee"]])
    logits = np.asarray(classifier(frames))
    from_embedding = embed_frames(frames) @ state["_fc.weight"].T + state["_fc.bias"]
    np.testing.assert_allclose(from_embedding, logits, rtol=1e-3, atol=1e-3)


def test_embed_frames_edge_cases():
    empty = embed_frames(np.zeros((0, 224, 224, 3), dtype=np.uint8))
    assert empty.shape == (0, 1280) and empty.dtype == np.float32
    with pytest.raises(ValueError, match="224"):
        embed_frames(np.zeros((1, 112, 112, 3), dtype=np.uint8))


def test_backbone_is_built_once_and_accepts_uint8(photos):
    backbone = keras_model.load_backbone()
    assert keras_model.load_backbone() is backbone
    assert backbone.output.shape == (None, 1280)
    frame = photos["cat"][None]
    np.testing.assert_allclose(
        np.asarray(backbone(frame)), np.asarray(backbone(frame.astype(np.float32))), atol=1e-5
    )


def test_model_round_trips_through_a_keras_file(tmp_path, photos):
    path = tmp_path / "backbone.keras"
    keras_model.load_backbone().save(path)
    reloaded = keras.saving.load_model(path)
    frame = photos["coffee"][None].astype(np.float32)
    np.testing.assert_allclose(
        np.asarray(reloaded(frame)), embed_frames(frame.astype(np.uint8)), rtol=1e-4, atol=1e-4
    )
