"""The four model types as Keras builders. Every one labels every second (classes + background).

Inputs (each model takes the ones it needs), for a batch of videos of T seconds:
  log_mel (T, 96, 64), audio_present (T,), visual (T, 1280), visual_present (T,).
Built with `input_shapes` (pre-extracted features, e.g. AVE's files), the streams are `audio`
and `visual` of those per-second shapes, and each gets the stem its shape needs: a vector is
normalised and projected; a feature map goes through a small convolution stack and is pooled.
Everything after the stems is the same model.
Outputs: `event` (T, classes) always; fusion and attention add their own per-modality heads
`audio_event` and `visual_event`; attention adds `attention` (T, 2): weights over (audio, visual).
"""

from __future__ import annotations

import keras

from ..core.conventions import PATCH_SHAPE, VISUAL_EMBEDDING_SIZE
from ..core.model_inputs import AUDIO_PRESENT, LOG_MEL, VISUAL, VISUAL_PRESENT
from .layers import HeadAgreement, LogMelSummary, ModalityAttention, PresenceGate
from .model_types import ARCHITECTURES, model_type  # noqa: F401  (ARCHITECTURES re-exported)

DEFAULT_HYPERPARAMETERS = {
    "visual_hidden": 128,  # per-second projection of the backbone embedding
    "audio_filters": [16, 32, 64],  # the small log-mel CNN learned in the head
    "audio_hidden": 128,
    "recurrent": "gru",  # gru or lstm, run in both directions over the seconds
    "recurrent_units": 64,
    "fusion_hidden": 128,
    "dropout": 0.3,
    "audio_front_end": "cnn",  # cnn: learnt on the log-mel; summary: fixed (LogMelSummary)
}


def _recurrent(hp: dict, name: str):
    cell = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[hp["recurrent"]]
    return keras.layers.Bidirectional(cell(hp["recurrent_units"], return_sequences=True), name=name)


# Channels of the convolution stem that reads a per-second feature map (VGG19 pool5, VGGish
# conv4): a 1x1 convolution first cuts the 512 channels, so the stem stays small.
MAP_FILTERS = 64


def _inputs(modalities: tuple[str, ...], input_shapes: dict | None = None) -> dict:
    """Keras inputs: the product's own features, or feature files' streams of `input_shapes`."""
    inputs = {}
    if "audio" in modalities:
        if input_shapes is None:
            inputs[LOG_MEL] = keras.Input((None, *PATCH_SHAPE), name=LOG_MEL)
        else:
            inputs["audio"] = keras.Input((None, *input_shapes["audio"]), name="audio")
        inputs[AUDIO_PRESENT] = keras.Input((None,), name=AUDIO_PRESENT)
    if "visual" in modalities:
        shape = (VISUAL_EMBEDDING_SIZE,) if input_shapes is None else input_shapes["visual"]
        inputs[VISUAL] = keras.Input((None, *shape), name=VISUAL)
        inputs[VISUAL_PRESENT] = keras.Input((None,), name=VISUAL_PRESENT)
    return inputs


def _feature_map_stem(x, hp: dict, prefix: str):
    """A per-second (H, W, C) feature map: 1x1 then 3x3 convolutions, pooled to a vector.

    Written as layers over (seconds, H, W, C) that never mix seconds (a Dense on the channels is
    the 1x1 convolution; a 1x3x3 Conv3D and a 1xHxW pool act on each second alone) rather than
    TimeDistributed, which over an unknown number of seconds traces a vectorised map: tens of
    seconds to compile, and the wrong outputs prediction.py warns of."""
    height, width = x.shape[2], x.shape[3]
    filters = hp.get("map_filters", MAP_FILTERS)
    x = keras.layers.LayerNormalization(name=f"{prefix}_map_norm")(x)
    x = keras.layers.Dense(filters, activation="relu", name=f"{prefix}_map_conv0")(x)
    x = keras.layers.Conv3D(
        filters, (1, 3, 3), padding="same", activation="relu", name=f"{prefix}_map_conv1"
    )(x)
    x = keras.layers.AveragePooling3D((1, height, width), name=f"{prefix}_map_pool")(x)
    return keras.layers.Reshape((-1, filters), name=f"{prefix}_map_vector")(x)


def _log_mel_stem(x, hp: dict):
    """Per second: the small CNN learned over the log-mel patch, or the patch's fixed summary."""
    if hp.get("audio_front_end", "cnn") == "summary":
        x = LogMelSummary(name="audio_summary")(x)
        return keras.layers.BatchNormalization(name="audio_summary_norm")(x)
    x = keras.layers.Reshape((-1, *PATCH_SHAPE, 1), name="audio_channels")(x)
    x = keras.layers.TimeDistributed(keras.layers.BatchNormalization(), name="audio_norm")(x)
    for index, filters in enumerate(hp["audio_filters"]):
        conv = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")
        x = keras.layers.TimeDistributed(conv, name=f"audio_conv{index}")(x)
        x = keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2), name=f"audio_pool{index}")(x)
    return keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D(), name="audio_gap")(x)


def _vector_stem(x, prefix: str):
    return keras.layers.LayerNormalization(name=f"{prefix}_norm")(x)


def _stem(inputs: dict, modality: str, hp: dict):
    """The per-second stem matched to the stream's shape (see the module docstring)."""
    if modality == "audio" and LOG_MEL in inputs:
        return _log_mel_stem(inputs[LOG_MEL], hp)
    x = inputs[modality]
    return _feature_map_stem(x, hp, modality) if len(x.shape) == 5 else _vector_stem(x, modality)


def _audio_encoder(inputs: dict, hp: dict):
    """Per-second stem, then a recurrent layer over the seconds."""
    x = _stem(inputs, "audio", hp)
    x = keras.layers.Dense(hp["audio_hidden"], activation="relu", name="audio_dense")(x)
    x = PresenceGate(name="audio_gate_in")([x, inputs[AUDIO_PRESENT]])
    x = keras.layers.Dropout(hp["dropout"], name="audio_dropout")(x)
    x = _recurrent(hp, "audio_recurrent")(x)
    return PresenceGate(name="audio_gate_out")([x, inputs[AUDIO_PRESENT]])


def _visual_encoder(inputs: dict, hp: dict):
    """Per-second projection of the backbone embedding, then a recurrent layer over the seconds."""
    x = _stem(inputs, "visual", hp)
    x = keras.layers.Dense(hp["visual_hidden"], activation="relu", name="visual_dense")(x)
    x = PresenceGate(name="visual_gate_in")([x, inputs[VISUAL_PRESENT]])
    x = keras.layers.Dropout(hp["dropout"], name="visual_dropout")(x)
    x = _recurrent(hp, "visual_recurrent")(x)
    return PresenceGate(name="visual_gate_out")([x, inputs[VISUAL_PRESENT]])


def _head(x, classes: int, name: str):
    return keras.layers.Dense(classes, activation="softmax", name=name)(x)


def build_visual(
    classes: int, hp: dict | None = None, input_shapes: dict | None = None
) -> keras.Model:
    hp = {**DEFAULT_HYPERPARAMETERS, **(hp or {})}
    inputs = _inputs(("visual",), input_shapes)
    event = _head(_visual_encoder(inputs, hp), classes, "event")
    return keras.Model(inputs, {"event": event}, name="visual")


def build_audio(
    classes: int, hp: dict | None = None, input_shapes: dict | None = None
) -> keras.Model:
    hp = {**DEFAULT_HYPERPARAMETERS, **(hp or {})}
    inputs = _inputs(("audio",), input_shapes)
    event = _head(_audio_encoder(inputs, hp), classes, "event")
    return keras.Model(inputs, {"event": event}, name="audio")


def _fused_context(x, hp: dict):
    """Temporal context over the fused seconds: one event per clip is easier to see in context."""
    x = keras.layers.Dropout(hp["dropout"], name="fusion_dropout")(x)
    return _recurrent(hp, "fusion_recurrent")(x)


def build_fusion(
    classes: int, hp: dict | None = None, input_shapes: dict | None = None
) -> keras.Model:
    hp = {**DEFAULT_HYPERPARAMETERS, **(hp or {})}
    inputs = _inputs(("audio", "visual"), input_shapes)
    audio, visual = _audio_encoder(inputs, hp), _visual_encoder(inputs, hp)
    presence = keras.layers.Reshape((-1, 1), name="audio_flag")(inputs[AUDIO_PRESENT])
    v_presence = keras.layers.Reshape((-1, 1), name="visual_flag")(inputs[VISUAL_PRESENT])
    x = keras.layers.Concatenate(name="fusion_concat")([audio, visual, presence, v_presence])
    x = keras.layers.Dense(hp["fusion_hidden"], activation="relu", name="fusion_dense")(x)
    outputs = {
        "event": _head(_fused_context(x, hp), classes, "event"),
        "audio_event": _head(audio, classes, "audio_event"),
        "visual_event": _head(visual, classes, "visual_event"),
    }
    return keras.Model(inputs, outputs, name="fusion")


def build_attention(
    classes: int, hp: dict | None = None, input_shapes: dict | None = None, name: str = "attention"
) -> keras.Model:
    hp = {**DEFAULT_HYPERPARAMETERS, **(hp or {})}
    inputs = _inputs(("audio", "visual"), input_shapes)
    audio, visual = _audio_encoder(inputs, hp), _visual_encoder(inputs, hp)
    width = hp["fusion_hidden"]
    audio_p = keras.layers.Dense(width, activation="relu", name="audio_project")(audio)
    visual_p = keras.layers.Dense(width, activation="relu", name="visual_project")(visual)
    fused, weights = ModalityAttention(64, name="modality_attention")(
        [audio_p, visual_p, inputs[AUDIO_PRESENT], inputs[VISUAL_PRESENT]]
    )
    audio_event = _head(audio, classes, "audio_event")
    visual_event = _head(visual, classes, "visual_event")
    context = _fused_context(fused, hp)
    if hp.get("head_agreement"):
        scores = keras.layers.Dense(classes, name="event_scores")(context)
        event = HeadAgreement(name="event")(
            [scores, audio_event, visual_event, inputs[AUDIO_PRESENT], inputs[VISUAL_PRESENT]]
        )
    else:
        event = _head(context, classes, "event")
    outputs = {
        "event": event,
        "audio_event": audio_event,
        "visual_event": visual_event,
        "attention": keras.layers.Identity(name="attention")(weights),
    }
    return keras.Model(inputs, outputs, name=name)


def build_attention_light(
    classes: int, hp: dict | None = None, input_shapes: dict | None = None
) -> keras.Model:
    """Attention with the fixed log-mel summary as its sound front end: about 30 times cheaper
    to train than the CNN, and the type that learns most from a few labelled videos. Its fused
    head adds the two streams' own heads' agreement (HeadAgreement), which names a class that
    needs both streams from a few examples."""
    hp = {
        **DEFAULT_HYPERPARAMETERS,
        "head_agreement": True,
        **(hp or {}),
        "audio_front_end": "summary",
    }
    return build_attention(classes, hp, input_shapes, name="attention_light")


def build_model(
    architecture: str, classes: int, hp: dict | None = None, input_shapes: dict | None = None
) -> keras.Model:
    """The registered model type's Keras model (see model_types.py)."""
    return model_type(architecture).build(classes, hp, input_shapes)
