"""The four model types and the streams each one uses. No Keras here: cards are read (and the
app lists bundles) without loading TensorFlow."""

ARCHITECTURES = ("visual", "audio", "fusion", "attention")

_MODALITIES = {"visual": ("visual",), "audio": ("audio",),
               "fusion": ("audio", "visual"), "attention": ("audio", "visual")}


def modalities_of(architecture: str) -> tuple[str, ...]:
    """The streams a model type reads: ('audio',), ('visual',) or both."""
    if architecture not in _MODALITIES:
        raise ValueError(f"unknown architecture {architecture!r}; "
                         f"choose from {', '.join(ARCHITECTURES)}")
    return _MODALITIES[architecture]
