"""Batch engines beyond the local one (ml/batch.py): each maps the per-video pipeline."""
