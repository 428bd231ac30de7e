"""Opening a folder of pre-extracted features: the kind is told by its files
(feature_sets.feature_folder_kind), and each kind has its reader.

Kept apart from feature_sets, which both readers import for the types they fill in.
"""

from __future__ import annotations

from pathlib import Path

from .ave_features import open_ave_features
from .errors import DataSpecError
from .feature_sets import FeatureSet, feature_folder_kind
from .research_pickles import open_research_pickles


def open_feature_set(path, trust_pickles: bool = False) -> FeatureSet:
    """The feature set in `path` (its classes and files checked; arrays read later)."""
    path = Path(path)
    kind = feature_folder_kind(path)
    if kind == "ave-features":
        return open_ave_features(path)
    if kind == "research-pickles":
        return open_research_pickles(path, trust_pickles)
    raise DataSpecError(
        f"{path}: holds no AVE feature files (labels.h5, *_feature.h5) and no "
        "research pickles (trainSet_*.p)"
    )
