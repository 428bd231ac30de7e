"""The research's four notebook models, rebuilt exactly: one label per video (`--video-level`).

As in docs/research.md, over (seconds, ...) features of one video:
  visual     TD Dense(128, relu) -> LSTM(64) -> Dense(events, softmax)
  audio      TD Conv2D(32, 3x3, relu) -> TD MaxPool 2x2 -> TD Conv2D(64, 3x3, relu) -> TD Flatten
             -> LSTM(64) -> Dense(events, softmax)
  fusion     visual TD Dense(256, relu) -> LSTM(64); audio as above -> LSTM(64);
             concat -> Dense(128, relu) -> Dense(events, softmax)
  attention  as fusion, with a softmax gate over the concatenated vector multiplied into it
             before Dense(128)
trained with Adam, categorical cross-entropy, 50 epochs, batch 64 (see feature_training.py).

These stems are the research's on its own features (DenseNet201 vectors, VGGish conv4 maps).
AVE's official files have other shapes, so there a stream gets the research stem that fits its
shape: a visual map (VGG19 pool5) is global-average pooled first, as DenseNet201's was, and an
audio vector (VGGish embedding) goes through the visual stream's TD Dense stem.
"""

from __future__ import annotations

import keras

EPOCHS = 50
BATCH_SIZE = 64
LSTM_UNITS = 64
FUSION_HIDDEN = 128
VISUAL_DENSE = {"visual": 128, "fusion": 256, "attention": 256}
AUDIO_CONV_FILTERS = (32, 64)


def _td(layer, name: str):
    return keras.layers.TimeDistributed(layer, name=name)


def _visual_stream(x, units: int, prefix: str):
    if len(x.shape) == 5:  # a per-second map: pooled to a vector, as DenseNet201's features were
        x = _td(keras.layers.GlobalAveragePooling2D(), f"{prefix}_gap")(x)
    x = _td(keras.layers.Dense(units, activation="relu"), f"{prefix}_dense")(x)
    return keras.layers.LSTM(LSTM_UNITS, name=f"{prefix}_lstm")(x)


def _audio_stream(x, units: int, prefix: str):
    if len(x.shape) == 3:  # a per-second vector (VGGish embedding): the dense stem
        return _visual_stream(x, units, prefix)
    first, second = AUDIO_CONV_FILTERS
    x = _td(keras.layers.Conv2D(first, 3, activation="relu"), f"{prefix}_conv1")(x)
    x = _td(keras.layers.MaxPooling2D(2), f"{prefix}_pool")(x)
    x = _td(keras.layers.Conv2D(second, 3, activation="relu"), f"{prefix}_conv2")(x)
    x = _td(keras.layers.Flatten(), f"{prefix}_flatten")(x)
    return keras.layers.LSTM(LSTM_UNITS, name=f"{prefix}_lstm")(x)


def _input(input_shapes: dict, modality: str):
    """`input_shapes` holds each stream's per-video shape (seconds, ...), as the notebooks'
    fixed-length inputs did."""
    return keras.Input(tuple(input_shapes[modality]), name=modality)


def _label(x, events: int):
    return keras.layers.Dense(events, activation="softmax", name="event")(x)


def research_visual(events: int, input_shapes: dict) -> keras.Model:
    visual = _input(input_shapes, "visual")
    x = _visual_stream(visual, VISUAL_DENSE["visual"], "visual")
    return keras.Model({"visual": visual}, {"event": _label(x, events)}, name="research_visual")


def research_audio(events: int, input_shapes: dict) -> keras.Model:
    audio = _input(input_shapes, "audio")
    x = _audio_stream(audio, VISUAL_DENSE["visual"], "audio")
    return keras.Model({"audio": audio}, {"event": _label(x, events)}, name="research_audio")


def _fused(input_shapes: dict, gated: bool):
    audio, visual = _input(input_shapes, "audio"), _input(input_shapes, "visual")
    units = VISUAL_DENSE["attention" if gated else "fusion"]
    x = keras.layers.Concatenate(name="fusion_concat")(
        [_visual_stream(visual, units, "visual"), _audio_stream(audio, units, "audio")]
    )
    if gated:
        gate = keras.layers.Dense(2 * LSTM_UNITS, activation="softmax", name="attention_gate")(x)
        x = keras.layers.Multiply(name="attention_apply")([x, gate])
    x = keras.layers.Dense(FUSION_HIDDEN, activation="relu", name="fusion_dense")(x)
    return {"audio": audio, "visual": visual}, x


def research_fusion(events: int, input_shapes: dict) -> keras.Model:
    inputs, x = _fused(input_shapes, gated=False)
    return keras.Model(inputs, {"event": _label(x, events)}, name="research_fusion")


def research_attention(events: int, input_shapes: dict) -> keras.Model:
    inputs, x = _fused(input_shapes, gated=True)
    return keras.Model(inputs, {"event": _label(x, events)}, name="research_attention")
