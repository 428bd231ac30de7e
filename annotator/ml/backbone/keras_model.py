"""The visual backbone as a Keras 3 model: EfficientNet-Lite0 with the installed ImageNet weights.

The graph follows ``spec.py`` (stage table, TF "same" padding, ReLU6, ``(x - 127) / 128`` inside
the model) and takes its weights from ``weights.py``. Used to check the ONNX graph, to classify
photographs in the tests, and to embed frames where ONNX Runtime is not installed.
"""

from __future__ import annotations

import functools
import logging
import threading

import keras
import numpy as np
import tensorflow as tf

from .spec import (
    BLOCK_COUNT,
    BN_EPSILON,
    HEAD_FILTERS,
    IMAGENET_CLASSES,
    INPUT_MEAN,
    INPUT_SCALE,
    INPUT_SIZE,
    LITE0_STAGES,
    STEM_FILTERS,
    Stage,
)
from .weights import imagenet_state_dict

logger = logging.getLogger(__name__)


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
    x = keras.layers.Conv2D(
        filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return keras.layers.ReLU(6.0, name=f"{name}_relu6")(x) if activate else x


def _mbconv(x, block: int, stage: Stage, stride: int):
    """Inverted residual: 1x1 expand, depthwise, 1x1 project, identity skip when shapes allow."""
    name = f"block{block}"
    inputs = x
    channels = x.shape[-1]
    if stage.expand != 1:
        x = _conv_bn(x, channels * stage.expand, 1, 1, f"{name}_expand")
    x = keras.layers.DepthwiseConv2D(
        stage.kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_depthwise_conv"
    )(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_depthwise_bn")(x)
    x = keras.layers.ReLU(6.0, name=f"{name}_depthwise_relu6")(x)
    x = _conv_bn(x, stage.filters, 1, 1, f"{name}_project", activate=False)
    if stride == 1 and channels == stage.filters:
        x = keras.layers.Add(name=f"{name}_skip")([inputs, x])
    return x


def _preprocess(images):
    """uint8-range RGB to the range the weights were trained on."""
    return keras.layers.Rescaling(
        1.0 / INPUT_SCALE, offset=-INPUT_MEAN / INPUT_SCALE, name="scale_rgb"
    )(images)


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
    names = {
        "_conv_stem": "stem_conv",
        "_bn0": "stem_bn",
        "_conv_head": "head_conv",
        "_bn1": "head_bn",
        "_fc": "imagenet_logits",
    }
    for b in range(block_count):
        names.update(
            {
                f"_blocks.{b}._expand_conv": f"block{b}_expand_conv",
                f"_blocks.{b}._bn0": f"block{b}_expand_bn",
                f"_blocks.{b}._depthwise_conv": f"block{b}_depthwise_conv",
                f"_blocks.{b}._bn1": f"block{b}_depthwise_bn",
                f"_blocks.{b}._project_conv": f"block{b}_project_conv",
                f"_blocks.{b}._bn2": f"block{b}_project_bn",
            }
        )
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
    names = _torch_to_keras_names(BLOCK_COUNT)
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
    images = keras.Input(shape=(INPUT_SIZE, INPUT_SIZE, 3), dtype="float32", name="rgb")
    outputs = _graph(images, include_top)
    name = "efficientnet_lite0_imagenet" if include_top else "efficientnet_lite0_embedding"
    model = keras.Model(images, outputs, name=name)
    load_state_dict(model, imagenet_state_dict() if state_dict is None else state_dict)
    return model


class _Backbone:
    """A built model and one traced inference function, so repeated calls never retrace."""

    def __init__(self, model: keras.Model):
        self.model = model
        spec = tf.TensorSpec((None, INPUT_SIZE, INPUT_SIZE, 3), tf.float32)
        self.predict = tf.function(
            lambda x: model(x, training=False), input_signature=[spec], jit_compile=False
        )


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


def keras_embed(frames: np.ndarray) -> np.ndarray:
    """(N, 224, 224, 3) RGB frames -> (N, 1280) embeddings through the shared traced model."""
    return _cached_backbone(False).predict(frames.astype(np.float32)).numpy()
