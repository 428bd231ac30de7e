"""Multiply-adds per second of video: the backbone's cost times frames per second plus the head.

The head is counted layer by layer from its configuration (convolutions, dense and recurrent
layers dominate; normalisation and activations are ignored). The log-mel front end's STFT and
mel projection are added for models that hear.
"""

from __future__ import annotations

from ..core.conventions import MEL_BANDS, PATCH_FRAMES

_FFT_BINS = 257
LOG_MEL_MULTIPLY_ADDS = PATCH_FRAMES * (512 * 9 + _FFT_BINS * MEL_BANDS)


def _layer_cost(layer) -> float:
    import keras

    if isinstance(layer, keras.layers.Bidirectional):
        return 2 * _layer_cost(layer.forward_layer)
    wrapper = layer
    if isinstance(layer, keras.layers.TimeDistributed):
        layer = layer.layer  # the wrapper's output shape is the inner layer's, per second
    if isinstance(layer, keras.layers.Conv2D):
        height, width = wrapper.output.shape[-3], wrapper.output.shape[-2]
        kh, kw = layer.kernel_size
        return height * width * kh * kw * layer.kernel.shape[-2] * layer.filters
    if isinstance(layer, keras.layers.Conv3D):  # (seconds, H, W, C) maps: per second H x W
        height, width = wrapper.output.shape[-3], wrapper.output.shape[-2]
        kd, kh, kw = layer.kernel_size
        return height * width * kd * kh * kw * layer.kernel.shape[-2] * layer.filters
    if isinstance(layer, keras.layers.Dense):
        # A Dense on a per-second map (a 1x1 convolution) runs at every position of it. (Inner
        # layers of a custom layer were never called on a graph tensor: one per second.)
        positions = 1
        for size in wrapper.output.shape[2:-1] if wrapper._inbound_nodes else ():
            positions *= size or 1
        return positions * layer.kernel.shape[0] * layer.kernel.shape[1]
    if isinstance(layer, (keras.layers.GRU, keras.layers.LSTM)):
        gates = 3 if isinstance(layer, keras.layers.GRU) else 4
        units = layer.units
        inputs = layer.cell.kernel.shape[0]
        return gates * (inputs + units) * units
    return 0.0


def head_multiply_adds(model) -> float:
    """Per-second multiply-adds of the Keras head (all layers, nested ones included)."""
    total = 0.0
    for layer in model.layers:
        total += _layer_cost(layer)
        if hasattr(layer, "score_hidden"):  # ModalityAttention's inner dense layers
            total += _layer_cost(layer.score_hidden) + _layer_cost(layer.score)
    return total


def multiply_adds_per_second(model, architecture: str, visual_fps: int) -> float:
    from .backbone.spec import MULTIPLY_ADDS_PER_IMAGE

    from .model_types import modalities_of

    total = head_multiply_adds(model)
    if "visual" in modalities_of(architecture):
        total += MULTIPLY_ADDS_PER_IMAGE * visual_fps
    if "audio" in modalities_of(architecture):
        total += LOG_MEL_MULTIPLY_ADDS
    return total
