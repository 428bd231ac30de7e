"""The forward pass of each Keras layer the four heads are made of, in numpy float32.

Each builder takes the layer's saved config and its weights (an `h5py` group laid out as Keras
saves it) and returns a function of the layer's inputs. The arithmetic follows Keras 3's own
order of operations (its TensorFlow backend), so outputs agree with the Keras model to within
float32 rounding (checked to 1e-5 on the shipped bundles by tests/ml/test_numpy_head.py).
Anything not written here, or a config option these builders do not model, raises
`Unsupported`, and the caller falls back to Keras.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32


class Unsupported(Exception):
    """A layer or option the numpy head does not implement; the Keras model runs instead."""


def _vars(group, path: str = "vars") -> list[np.ndarray]:
    """The weights under `group/path`, in the order Keras saved them (vars/0, vars/1, ...)."""
    node = group[path] if path in group else {}
    return [np.asarray(node[str(i)], dtype=F32) for i in range(len(node))]


def _require(config: dict, **expected) -> None:
    for key, value in expected.items():
        if config.get(key, value) != value:
            raise Unsupported(f"{config.get('name')}: {key}={config.get(key)!r}")


def _dtype_ok(config: dict) -> None:
    policy = config.get("dtype")
    name = policy.get("config", {}).get("name") if isinstance(policy, dict) else policy
    if name not in (None, "float32"):
        raise Unsupported(f"{config.get('name')}: dtype policy {name!r}")


# ----------------------------------------------------------------------------- activations


def sigmoid(x: np.ndarray) -> np.ndarray:
    return (F32(1) / (F32(1) + np.exp(-x))).astype(F32, copy=False)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, F32(0)),
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "softmax": softmax,
}


def _activation(name) -> callable:
    if not isinstance(name, str) or name not in _ACTIVATIONS:
        raise Unsupported(f"activation {name!r}")
    return _ACTIVATIONS[name]


# ----------------------------------------------------------------------------- layers


def dense(config: dict, group):
    _dtype_ok(config)
    _require(config, quantization_config=None, lora_rank=None)
    weights = _vars(group)
    kernel = weights[0]
    bias = weights[1] if config.get("use_bias", True) else None
    act = _activation(config.get("activation", "linear"))

    def call(x):
        y = np.matmul(x, kernel)
        if bias is not None:
            y = y + bias
        return act(y)

    return call


def layer_normalization(config: dict, group):
    _dtype_ok(config)
    _require(config, rms_scaling=False)
    axis = config.get("axis", -1)
    if axis not in (-1, [-1]):
        raise Unsupported(f"{config['name']}: axis {axis!r}")
    weights = iter(_vars(group))
    gamma = next(weights) if config.get("scale", True) else None
    beta = next(weights) if config.get("center", True) else None
    epsilon = F32(config.get("epsilon", 1e-3))

    def call(x):
        # tf.nn.moments: the mean, then the mean squared difference from it.
        mean = x.mean(axis=-1, keepdims=True, dtype=F32)
        variance = np.square(x - mean).mean(axis=-1, keepdims=True, dtype=F32)
        inv = F32(1) / np.sqrt(variance + epsilon)
        if gamma is not None:
            inv = inv * gamma
        shift = -mean * inv
        if beta is not None:
            shift = shift + beta
        return x * inv + shift

    return call


def batch_normalization(config: dict, group):
    """Inference only: the moving statistics (tf.nn.batch_normalization's order)."""
    _dtype_ok(config)
    _require(config, axis=-1, renorm=False)
    weights = iter(_vars(group))
    gamma = next(weights) if config.get("scale", True) else None
    beta = next(weights) if config.get("center", True) else None
    mean, variance = next(weights), next(weights)
    inv = F32(1) / np.sqrt(variance + F32(config.get("epsilon", 1e-3)))
    if gamma is not None:
        inv = inv * gamma
    shift = (beta - mean * inv) if beta is not None else -mean * inv

    def call(x):
        return x * inv + shift

    return call


def conv2d(config: dict, group):
    """A 'same'- or 'valid'-padded stride-1 convolution over (N, H, W, C), as one matrix product
    of the 3x3 (or k x k) neighbourhoods."""
    _dtype_ok(config)
    _require(config, strides=[1, 1], dilation_rate=[1, 1], groups=1, data_format="channels_last")
    weights = _vars(group)
    kernel = weights[0]  # (kh, kw, cin, cout)
    bias = weights[1] if config.get("use_bias", True) else None
    kh, kw, cin, cout = kernel.shape
    flat = kernel.reshape(kh * kw * cin, cout)
    padding = config.get("padding", "valid")
    if padding not in ("same", "valid"):
        raise Unsupported(f"{config['name']}: padding {padding!r}")
    act = _activation(config.get("activation", "linear"))

    def call(x):
        if padding == "same":
            top, left = (kh - 1) // 2, (kw - 1) // 2
            x = np.pad(x, ((0, 0), (top, kh - 1 - top), (left, kw - 1 - left), (0, 0)))
        n, h, w, _c = x.shape
        out_h, out_w = h - kh + 1, w - kw + 1
        patches = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
        # (n, out_h, out_w, c, kh, kw) -> (n, out_h, out_w, kh, kw, c), as the kernel is laid out
        patches = patches.transpose(0, 1, 2, 4, 5, 3).reshape(n * out_h * out_w, kh * kw * cin)
        y = np.matmul(patches, flat)
        if bias is not None:
            y = y + bias
        return act(y).reshape(n, out_h, out_w, cout)

    return call


def max_pooling2d(config: dict, group):
    _require(config, padding="valid", data_format="channels_last")
    pool = tuple(config.get("pool_size", (2, 2)))
    strides = tuple(config.get("strides") or pool)
    if strides != pool:
        raise Unsupported(f"{config['name']}: strides {strides} differ from pool {pool}")
    ph, pw = pool

    def call(x):
        n, h, w, c = x.shape
        h2, w2 = h // ph, w // pw
        x = x[:, : h2 * ph, : w2 * pw].reshape(n, h2, ph, w2, pw, c)
        return x.max(axis=(2, 4))

    return call


def global_average_pooling2d(config: dict, group):
    _require(config, data_format="channels_last", keepdims=False)

    def call(x):
        return x.mean(axis=(1, 2), dtype=F32)

    return call


def _recurrent_cell(config: dict, group):
    """One direction of a GRU or LSTM over (batch, time, features), returning every step."""
    kind = config["class_name"]
    inner = config["config"]
    _dtype_ok(inner)
    _require(
        inner,
        return_sequences=True,
        return_state=False,
        stateful=False,
        dropout=0.0,
        recurrent_dropout=0.0,
        use_bias=True,
    )
    if kind == "GRU":
        _require(inner, activation="tanh", recurrent_activation="sigmoid", reset_after=True)
    elif kind == "LSTM":
        _require(inner, activation="tanh", recurrent_activation="sigmoid")
    else:
        raise Unsupported(f"recurrent layer {kind}")
    kernel, recurrent, bias = _vars(group, "cell/vars")
    units = int(inner["units"])
    backwards = bool(inner.get("go_backwards", False))

    def gru(x):
        batch, steps, _ = x.shape
        projected = np.matmul(x, kernel) + bias[0]  # every step's input, at once
        h = np.zeros((batch, units), F32)
        out = np.empty((batch, steps, units), F32)
        order = range(steps - 1, -1, -1) if backwards else range(steps)
        for index, t in enumerate(order):
            inner_h = np.matmul(h, recurrent) + bias[1]
            x_z, x_r, x_h = np.split(projected[:, t], 3, axis=-1)
            r_z, r_r, r_h = np.split(inner_h, 3, axis=-1)
            z = sigmoid(x_z + r_z)
            r = sigmoid(x_r + r_r)
            hh = np.tanh(x_h + r * r_h)
            h = z * h + (F32(1) - z) * hh
            out[:, index] = h
        return out

    def lstm(x):
        batch, steps, _ = x.shape
        projected = np.matmul(x, kernel) + bias
        h = np.zeros((batch, units), F32)
        c = np.zeros((batch, units), F32)
        out = np.empty((batch, steps, units), F32)
        order = range(steps - 1, -1, -1) if backwards else range(steps)
        for index, t in enumerate(order):
            gates = projected[:, t] + np.matmul(h, recurrent)
            i, f, g, o = np.split(gates, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            out[:, index] = h
        return out

    return gru if kind == "GRU" else lstm


def bidirectional(config: dict, group):
    _dtype_ok(config)
    _require(config, merge_mode="concat")
    backward_config = config.get("backward_layer") or {
        **config["layer"],
        "config": {**config["layer"]["config"], "go_backwards": True},
    }
    if not backward_config["config"].get("go_backwards"):
        raise Unsupported(f"{config['name']}: backward layer does not go backwards")
    forward = _recurrent_cell(config["layer"], group["forward_layer"])
    backward = _recurrent_cell(backward_config, group["backward_layer"])

    def call(x):
        # Keras flips the backward sequence back, so both halves line up with the input steps.
        return np.concatenate([forward(x), backward(x)[:, ::-1]], axis=-1)

    return call


def time_distributed(config: dict, group):
    inner = config["layer"]
    layer = build_layer(inner["class_name"], inner["config"], group["layer"], inner)

    def call(x):
        batch, steps = x.shape[:2]
        y = layer([x.reshape(batch * steps, *x.shape[2:])])
        return y.reshape(batch, steps, *y.shape[1:])

    return call


def reshape(config: dict, group):
    target = tuple(config["target_shape"])

    def call(x):
        return x.reshape(x.shape[0], *target)

    return call


def concatenate(config: dict, group):
    axis = int(config.get("axis", -1))

    def call(*xs):
        return np.concatenate(xs, axis=axis)

    return call


def presence_gate(config: dict, group):
    """annotator.ml.layers.PresenceGate: h * present[..., None]."""

    def call(features, present):
        return features * present.astype(features.dtype)[..., None]

    return call


def modality_attention(config: dict, group):
    """annotator.ml.layers.ModalityAttention, in the order of its `call`."""
    hidden = dense({"name": "score_hidden", "activation": "tanh"}, group["score_hidden"])
    score = dense({"name": "score", "activation": "linear"}, group["score"])

    def call(audio, visual, audio_present, visual_present):
        logits = score(hidden(np.concatenate([audio, visual], axis=-1)))
        present = np.stack([audio_present.astype(F32), visual_present.astype(F32)], axis=-1)
        none_present = (present.sum(axis=-1, keepdims=True) == 0).astype(F32)
        allowed = np.maximum(present, none_present)
        weights = softmax(logits + (F32(1) - allowed) * F32(-1e9))
        fused = np.concatenate(
            [F32(2) * weights[..., 0:1] * audio, F32(2) * weights[..., 1:2] * visual], axis=-1
        )
        return fused, weights

    return call


def identity(config: dict, group):
    return lambda x: x


_BUILDERS = {
    "Dense": dense,
    "LayerNormalization": layer_normalization,
    "BatchNormalization": batch_normalization,
    "Conv2D": conv2d,
    "MaxPooling2D": max_pooling2d,
    "GlobalAveragePooling2D": global_average_pooling2d,
    "Bidirectional": bidirectional,
    "TimeDistributed": time_distributed,
    "Reshape": reshape,
    "Concatenate": concatenate,
    "Identity": identity,
    "Dropout": identity,  # inference: dropout passes everything
    "PresenceGate": presence_gate,
    "ModalityAttention": modality_attention,
}
# The project's own layers are saved under this package name (annotator/ml/layers.py).
_OWN_LAYERS = {"av_annotator>PresenceGate", "av_annotator>ModalityAttention"}


def build_layer(class_name: str, config: dict, group, saved: dict):
    """The forward function of one saved layer: f(list of inputs) -> output(s)."""
    registered = saved.get("registered_name")
    if class_name in ("PresenceGate", "ModalityAttention") and registered not in _OWN_LAYERS:
        raise Unsupported(f"{config.get('name')}: {registered!r} is not the project's own layer")
    if class_name not in _BUILDERS:
        raise Unsupported(f"layer {class_name}")
    if saved.get("module") not in (None, "keras.layers") and registered not in _OWN_LAYERS:
        raise Unsupported(f"{config.get('name')}: layer from {saved.get('module')!r}")
    function = _BUILDERS[class_name](config, group)
    return lambda inputs: function(*inputs)
