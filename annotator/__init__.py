"""Audio-visual event annotator: per-second event labels for local video libraries."""

__version__ = "0.1.0"
