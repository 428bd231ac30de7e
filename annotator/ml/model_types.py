"""The registry of model types: every "which model type is this" question is answered here.

Each entry says which streams the type reads, which of its outputs is the fused label and which
are the per-modality heads, whether training shows it clips with a stream removed, and how to
build it. No Keras here: cards are read (and the app lists bundles) without loading TensorFlow;
builders are named as "module:function" and imported only when a model is built.

Adding a fifth model type is one `register(ArchitectureSpec(...))` plus its builder.

Input stems follow the features: a builder called with `input_shapes` ({modality: per-second
shape}, from feature files such as AVE's) matches its stems to those shapes; called without, it
reads the product's own log-mel patches and backbone embeddings. A type may also name the
research's one-label-per-video preset of itself (`video_level_builder`, feature files only).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

MODALITIES = ("audio", "visual")
EVENT_OUTPUT = "event"  # every model's fused per-second label distribution


@dataclass(frozen=True)
class ArchitectureSpec:
    name: str
    modalities: tuple[str, ...]  # streams read: ('audio',), ('visual',) or both
    builder: str | Callable  # "package.module:function" or the function
    # Which output is each modality's own head. A single-stream type's only head is its
    # modality head, so it maps that modality to EVENT_OUTPUT.
    modality_heads: dict = field(default_factory=dict)
    # Shown copies of clips with one stream removed in training, so it carries on without it.
    learns_missing_streams: bool = False
    description: str = ""
    # The research's notebook configuration of this type: one label per video, from feature
    # files; called as builder(events, {modality: (seconds, ...)}). None: no such preset.
    video_level_builder: str | Callable | None = None

    def build(
        self, classes: int, hyperparameters: dict | None = None, input_shapes: dict | None = None
    ):
        """The Keras model for `classes` (background included); `input_shapes` gives the
        per-second shape of each stream where it comes from feature files."""
        builder = _resolve(self.builder)
        if input_shapes is None:
            return builder(classes, hyperparameters)
        return builder(classes, hyperparameters, input_shapes=input_shapes)

    def build_video_level(self, events: int, input_shapes: dict):
        """The research's preset: one softmax over `events` classes (no background) per video;
        `input_shapes` gives each stream's per-video shape (seconds, ...)."""
        if self.video_level_builder is None:
            raise ValueError(f"model type {self.name!r} has no video-level preset")
        return _resolve(self.video_level_builder)(events, input_shapes)

    def head_output(self, modality: str) -> str | None:
        """The output holding `modality`'s own head, or None where the type has none."""
        return self.modality_heads.get(modality)

    @property
    def trained_outputs(self) -> tuple[str, ...]:
        """Outputs that get a loss in training: the fused label and every distinct head."""
        heads = [name for name in self.modality_heads.values() if name != EVENT_OUTPUT]
        return (EVENT_OUTPUT, *heads)


def _resolve(builder):
    if isinstance(builder, str):
        module, _, function = builder.partition(":")
        return getattr(importlib.import_module(module), function)
    return builder


_REGISTRY: dict[str, ArchitectureSpec] = {}


def register(spec: ArchitectureSpec) -> ArchitectureSpec:
    """Add a model type (or replace one of the same name); returns it."""
    unknown = set(spec.modalities) - set(MODALITIES)
    if not spec.modalities or unknown:
        raise ValueError(f"model type {spec.name!r}: modalities must be from {MODALITIES}")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def model_type(name: str) -> ArchitectureSpec:
    if name not in _REGISTRY:
        raise ValueError(f"unknown architecture {name!r}; choose from {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def model_type_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def modalities_of(architecture: str) -> tuple[str, ...]:
    """The streams a model type reads: ('audio',), ('visual',) or both."""
    return model_type(architecture).modalities


_BUILDERS = "annotator.ml.architectures"
_RESEARCH = "annotator.ml.research_heads"
_BOTH_HEADS = {"audio": "audio_event", "visual": "visual_event"}

register(
    ArchitectureSpec(
        "visual",
        ("visual",),
        f"{_BUILDERS}:build_visual",
        {"visual": EVENT_OUTPUT},
        description="visual only: backbone embedding per second",
        video_level_builder=f"{_RESEARCH}:research_visual",
    )
)
register(
    ArchitectureSpec(
        "audio",
        ("audio",),
        f"{_BUILDERS}:build_audio",
        {"audio": EVENT_OUTPUT},
        description="audio only: log-mel patch per second",
        video_level_builder=f"{_RESEARCH}:research_audio",
    )
)
register(
    ArchitectureSpec(
        "fusion",
        ("audio", "visual"),
        f"{_BUILDERS}:build_fusion",
        _BOTH_HEADS,
        learns_missing_streams=True,
        description="audio + visual fusion",
        video_level_builder=f"{_RESEARCH}:research_fusion",
    )
)
register(
    ArchitectureSpec(
        "attention",
        ("audio", "visual"),
        f"{_BUILDERS}:build_attention",
        _BOTH_HEADS,
        learns_missing_streams=True,
        description="fusion with attention over the modalities",
        video_level_builder=f"{_RESEARCH}:research_attention",
    )
)

register(
    ArchitectureSpec(
        "attention-light",
        ("audio", "visual"),
        f"{_BUILDERS}:build_attention_light",
        _BOTH_HEADS,
        learns_missing_streams=True,
        description="attention with a fixed summary of the sound (no CNN) and the two heads' "
        "agreement: trains in about a minute on a few dozen labelled videos",
    )
)

# The type "Train on my labels" proposes: learns most from few labels, in the least time.
OWN_LABELS_DEFAULT = "attention-light"

# The four shipped types, in the order the docs list them (the registry may hold more).
ARCHITECTURES = ("visual", "audio", "fusion", "attention")
