"""Audio-visual event annotator: per-second event labels for local video libraries.

The public Python API (documented in README.md, "Python API"), defined in `annotator.api`:

    import annotator

    table = annotator.annotate_folder("resources/samples")   # pandas DataFrame, one row a second
    bundle = annotator.load_bundle("attention")               # a shipped or trained bundle
    annotator.train("data/novel", "attention-light", "models/novel", epochs=40)
    report = annotator.evaluate("data/novel-test", model="models/novel")

The names are loaded on first use, so `import annotator` stays cheap (the app's window process
imports this package and must not pull in pandas or the model code before it needs them).
"""

__version__ = "0.1.0"

__all__ = [
    "AnnotatorError",
    "ModelBundle",
    "annotate_folder",
    "evaluate",
    "load_bundle",
    "train",
]


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'annotator' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
