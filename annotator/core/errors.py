"""Errors the user can act on. Each names the file and the reason."""


class AnnotatorError(Exception):
    """Base class: anything the tool reports to the user instead of a traceback."""


class MediaError(AnnotatorError):
    """A file could not be read as a video (not media, truncated, corrupt, unreadable)."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class MissingStreamError(MediaError):
    """The file lacks a stream the chosen model cannot do without."""


class BundleError(AnnotatorError):
    """A model bundle is missing, malformed, or does not match the feature settings."""


class DataSpecError(AnnotatorError):
    """A training/evaluation SPEC could not be understood."""


class Cancelled(AnnotatorError):
    """The user cancelled a long job."""


class EngineError(AnnotatorError):
    """A batch engine cannot run: Ray not installed, or its cluster not reachable."""
