"""The four model types as Keras builders. Every one labels every second (classes + background).

Inputs (each model takes the ones it needs), for a batch of videos of T seconds:
  log_mel (T, 96, 64), audio_present (T,), visual (T, 1280), visual_present (T,).
Outputs: `event` (T, classes) always; fusion and attention add their own per-modality heads
`audio_event` and `visual_event`; attention adds `attention` (T, 2): weights over (audio, visual).
"""

from __future__ import annotations

import keras

from ..core.conventions import PATCH_SHAPE, VISUAL_EMBEDDING_SIZE
from .layers import LogMelSummary, ModalityAttention, PresenceGate
from .model_types import ARCHITECTURES, model_type  # noqa: F401  (ARCHITECTURES re-exported)

DEFAULT_HYPERPARAMETERS = {
    "visual_hidden": 128,          # per-second projection of the backbone embedding
    "audio_filters": [16, 32, 64],  # the small log-mel CNN learned in the head
    "audio_hidden": 128,
    "recurrent": "gru",            # gru or lstm, run in both directions over the seconds
    "recurrent_units": 64,
    "fusion_hidden": 128,
    "dropout": 0.3,
    "audio_front_end": "cnn",      # cnn: learnt on the log-mel; summary: fixed (LogMelSummary)
}


def _recurrent(hp: dict, name: str):
    cell = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[hp["recurrent"]]
    return keras.layers.Bidirectional(cell(hp["recurrent_units"], return_sequences=True),
                                      name=name)


def _inputs(modalities: tuple[str, ...]) -> dict:
    inputs = {}
    if "audio" in modalities:
        inputs["log_mel"] = keras.Input((None, *PATCH_SHAPE), name="log_mel")
        inputs["audio_present"] = keras.Input((None,), name="audio_present")
    if "visual" in modalities:
        inputs["visual"] = keras.Input((None, VISUAL_EMBEDDING_SIZE), name="visual")
        inputs["visual_present"] = keras.Input((None,), name="visual_present")
    return inputs


def _audio_front_end(inputs: dict, hp: dict):
    """Per second: a CNN learnt over the log-mel patch, or the patch's fixed summary."""
    if hp.get("audio_front_end", "cnn") == "summary":
        x = LogMelSummary(name="audio_summary")(inputs["log_mel"])
        return keras.layers.BatchNormalization(name="audio_summary_norm")(x)
    x = keras.layers.Reshape((-1, *PATCH_SHAPE, 1), name="audio_channels")(inputs["log_mel"])
    x = keras.layers.TimeDistributed(keras.layers.BatchNormalization(), name="audio_norm")(x)
    for index, filters in enumerate(hp["audio_filters"]):
        conv = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")
        x = keras.layers.TimeDistributed(conv, name=f"audio_conv{index}")(x)
        x = keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2), name=f"audio_pool{index}")(x)
    return keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D(), name="audio_gap")(x)


def _audio_encoder(inputs: dict, hp: dict):
    """Per-second features of the log-mel patch, then a recurrent layer over the seconds."""
    x = _audio_front_end(inputs, hp)
    x = keras.layers.Dense(hp["audio_hidden"], activation="relu", name="audio_dense")(x)
    x = PresenceGate(name="audio_gate_in")([x, inputs["audio_present"]])
    x = keras.layers.Dropout(hp["dropout"], name="audio_dropout")(x)
    x = _recurrent(hp, "audio_recurrent")(x)
    return PresenceGate(name="audio_gate_out")([x, inputs["audio_present"]])


def _visual_encoder(inputs: dict, hp: dict):
    """Per-second projection of the backbone embedding, then a recurrent layer over the seconds."""
    x = keras.layers.LayerNormalization(name="visual_norm")(inputs["visual"])
    x = keras.layers.Dense(hp["visual_hidden"], activation="relu", name="visual_dense")(x)
    x = PresenceGate(name="visual_gate_in")([x, inputs["visual_present"]])
    x = keras.layers.Dropout(hp["dropout"], name="visual_dropout")(x)
    x = _recurrent(hp, "visual_recurrent")(x)
    return PresenceGate(name="visual_gate_out")([x, inputs["visual_present"]])


def _head(x, classes: int, name: str):
    return keras.layers.Dense(classes, activation="softmax", name=name)(x)


def build_visual(classes: int, hp: dict | None = None) -> keras.Model:
    hp = {**DEFAULT_HYPERPARAMETERS, **(hp or {})}
    inputs = _inputs(("visual",))
    event = _head(_visual_encoder(inputs, hp), classes, "event")
    return keras.Model(inputs, {"event": event}, name="visual")


def build_audio(classes: int, hp: dict | None = None) -> keras.Model:
    hp = {**DEFAULT_HYPERPARAMETERS, **(hp or {})}
    inputs = _inputs(("audio",))
    event = _head(_audio_encoder(inputs, hp), classes, "event")
    return keras.Model(inputs, {"event": event}, name="audio")


def _fused_context(x, hp: dict):
    """Temporal context over the fused seconds: one event per clip is easier to see in context."""
    x = keras.layers.Dropout(hp["dropout"], name="fusion_dropout")(x)
    return _recurrent(hp, "fusion_recurrent")(x)


def build_fusion(classes: int, hp: dict | None = None) -> keras.Model:
    hp = {**DEFAULT_HYPERPARAMETERS, **(hp or {})}
    inputs = _inputs(("audio", "visual"))
    audio, visual = _audio_encoder(inputs, hp), _visual_encoder(inputs, hp)
    presence = keras.layers.Reshape((-1, 1), name="audio_flag")(inputs["audio_present"])
    v_presence = keras.layers.Reshape((-1, 1), name="visual_flag")(inputs["visual_present"])
    x = keras.layers.Concatenate(name="fusion_concat")([audio, visual, presence, v_presence])
    x = keras.layers.Dense(hp["fusion_hidden"], activation="relu", name="fusion_dense")(x)
    outputs = {"event": _head(_fused_context(x, hp), classes, "event"),
               "audio_event": _head(audio, classes, "audio_event"),
               "visual_event": _head(visual, classes, "visual_event")}
    return keras.Model(inputs, outputs, name="fusion")


def build_attention(classes: int, hp: dict | None = None, name: str = "attention") -> keras.Model:
    hp = {**DEFAULT_HYPERPARAMETERS, **(hp or {})}
    inputs = _inputs(("audio", "visual"))
    audio, visual = _audio_encoder(inputs, hp), _visual_encoder(inputs, hp)
    width = hp["fusion_hidden"]
    audio_p = keras.layers.Dense(width, activation="relu", name="audio_project")(audio)
    visual_p = keras.layers.Dense(width, activation="relu", name="visual_project")(visual)
    fused, weights = ModalityAttention(64, name="modality_attention")(
        [audio_p, visual_p, inputs["audio_present"], inputs["visual_present"]])
    outputs = {"event": _head(_fused_context(fused, hp), classes, "event"),
               "audio_event": _head(audio, classes, "audio_event"),
               "visual_event": _head(visual, classes, "visual_event"),
               "attention": keras.layers.Identity(name="attention")(weights)}
    return keras.Model(inputs, outputs, name=name)


def build_attention_light(classes: int, hp: dict | None = None) -> keras.Model:
    """Attention with the fixed log-mel summary as its sound front end: about 30 times cheaper
    to train than the CNN, and the type that learns most from a few labelled videos."""
    hp = {**DEFAULT_HYPERPARAMETERS, **(hp or {}), "audio_front_end": "summary"}
    return build_attention(classes, hp, name="attention_light")


def build_model(architecture: str, classes: int, hp: dict | None = None) -> keras.Model:
    """The registered model type's Keras model (see model_types.py)."""
    return model_type(architecture).build(classes, hp)
