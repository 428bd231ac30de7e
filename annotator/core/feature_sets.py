"""Pre-extracted feature sets: the official AVE feature files and the research's pickles.

A folder holding either is a SPEC of its own kind: not videos, but per-second feature arrays
with their truth, split into train / val / test. Each reader turns its files into a
`FeatureSet` whose classes are names (sorted, background last, as every SPEC), whatever order
the files number them in:
  - the AVE feature files number classes by first appearance in `Annotations.txt`, background
    last (index 28);
  - the research's pickles number the 28 classes alphabetically and carry one label per video.

Arrays are read per split and per stream, only when asked for, because they are large (the AVE
visual maps of the train split alone take 3.4 GB as float32).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .conventions import BACKGROUND
from .errors import DataSpecError

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")

# The 28 AVE classes as the feature files number them: by first appearance in the published
# Annotations.txt (the order every AVE code base hard-codes). Used only where a copy of the
# feature files comes without its Annotations.txt.
AVE_FILE_ORDER = (
    "Church bell",
    "Male speech, man speaking",
    "Bark",
    "Fixed-wing aircraft, airplane",
    "Race car, auto racing",
    "Female speech, woman speaking",
    "Helicopter",
    "Violin, fiddle",
    "Flute",
    "Ukulele",
    "Frying (food)",
    "Truck",
    "Shofar",
    "Motorcycle",
    "Acoustic guitar",
    "Train horn",
    "Clock",
    "Banjo",
    "Goat",
    "Baby cry, infant cry",
    "Bus",
    "Chainsaw",
    "Cat",
    "Horse",
    "Toilet flush",
    "Rodents, rats, mice",
    "Accordion",
    "Mandolin",
)
# The research numbered the same classes alphabetically.
RESEARCH_ORDER = tuple(sorted(AVE_FILE_ORDER))


@dataclass(frozen=True)
class Extractor:
    """The network that made one stream's features: recorded in the card of a bundle trained on
    them, and compared when that bundle is evaluated on another feature set."""

    name: str
    description: str
    shape: tuple  # per second
    multiply_adds_per_second: (
        float  # of the extractor itself, for the card (docs/research.md's table)
    )

    def as_card(self) -> dict:
        return {
            "extractor": self.name,
            "description": self.description,
            "per_second_shape": list(self.shape),
            "multiply_adds_per_second": int(self.multiply_adds_per_second),
        }


# AVE's visual maps average VGG19 pool5 over 16 frames of each second (Tian et al. 2018);
# the research averaged DenseNet201 over 16 frames per second too.
AVE_EXTRACTORS = {
    "audio": Extractor(
        "vggish-embedding",
        "VGGish 128-d embedding per 0.96 s patch (AVE audio_feature.h5)",
        (128,),
        0.86e9,
    ),
    "visual": Extractor(
        "vgg19-pool5-16fps",
        "VGG19 pool5 7x7x512 map, 16 frames per second averaged (AVE visual_feature.h5)",
        (7, 7, 512),
        16 * 19.6e9,
    ),
}
RESEARCH_EXTRACTORS = {
    "audio": Extractor(
        "vggish-conv4",
        "VGGish conv4 12x8x512 map per 0.96 s patch (the research's *_audio.p)",
        (12, 8, 512),
        0.86e9,
    ),
    "visual": Extractor(
        "densenet201-avgpool-16fps",
        "DenseNet201 1920-d global average pool, "
        "16 frames per second averaged (the research's *_visual.p)",
        (1920,),
        16 * 4.3e9,
    ),
}


@dataclass
class FeatureSplit:
    """One split's arrays; a stream not asked for is None."""

    name: str
    audio: np.ndarray | None  # (N, T, *extractor shape) float32
    visual: np.ndarray | None
    second_labels: np.ndarray | None  # (N, T) indices into the set's classes; None where
    # the files carry one label per video (the pickles)
    video_labels: np.ndarray  # (N,) index of each video's event class, or
    # NO_EVENT for a clip that is background throughout

    def __len__(self) -> int:
        return len(self.video_labels)


@dataclass
class FeatureSet:
    source: str
    kind: str  # "ave-features" or "research-pickles"
    classes: list[str]  # events sorted by name, then background
    file_order: list[str]  # the classes as the files number them
    extractors: dict = field(default_factory=dict)
    reader: object = field(default=None, repr=False)

    @property
    def per_second_truth(self) -> bool:
        return self.kind == "ave-features"

    def load_split(self, split: str, modalities) -> FeatureSplit:
        """The split's arrays for the streams in `modalities`, with its truth."""
        return self.reader.load_split(self, split, tuple(modalities))

    def extractor_card(self, modalities) -> dict:
        return {m: self.extractors[m].as_card() for m in modalities}


AVE_FEATURE_FILES = {"audio": "audio_feature.h5", "visual": "visual_feature.h5"}
AVE_LABELS_FILE = "labels.h5"
AVE_ORDER_FILES = {split: f"{split}_order.h5" for split in SPLITS}
RESEARCH_PICKLE_SETS = {"train": "trainSet", "val": "valSet", "test": "testSet"}
RESEARCH_STREAMS = ("visual", "audio", "target")


def per_second_truth(split: FeatureSplit) -> np.ndarray:
    """(N, T) truth: the files' own per-second labels, or, where they carry one label per video
    (the research's pickles), that label on every second."""
    if split.second_labels is not None:
        return split.second_labels.astype(np.int32)
    return np.repeat(split.video_labels[:, None], input_seconds(split), axis=1).astype(np.int32)


def per_second_inputs(split: FeatureSplit, modalities) -> dict:
    """Model inputs of the split: each stream's features, and its presence (all there)."""
    inputs = {}
    for modality in modalities:
        array = getattr(split, modality)
        inputs[modality] = array
        inputs[f"{modality}_present"] = np.ones(array.shape[:2], np.float32)
    return inputs


def input_seconds(split: FeatureSplit) -> int:
    return next(a for a in (split.audio, split.visual) if a is not None).shape[1]


def feature_folder_kind(path) -> str | None:
    """'ave-features' or 'research-pickles' where the folder holds such files, else None.

    The feature files win over Annotations.txt and the split lists: copies of AVE often keep
    those beside the h5 files, and such a folder is features, not a video root."""
    path = Path(path)
    if not path.is_dir():
        return None
    if any((path / name).exists() for name in (AVE_LABELS_FILE, *AVE_FEATURE_FILES.values())):
        return "ave-features"
    if any(path.glob("*Set_*.p")):
        return "research-pickles"
    return None


def sorted_classes(names) -> list[str]:
    """The product's class order: event names sorted, background last."""
    return sorted(set(names) - {BACKGROUND}) + [BACKGROUND]


def index_map(file_order: list[str], classes: list[str]) -> np.ndarray:
    """file index -> index in `classes`, by name."""
    return np.array([classes.index(name) for name in file_order], np.int64)


def check_one_hot(labels: np.ndarray, where: str, what: str) -> np.ndarray:
    """The hot index of each row of one-hot `labels` (..., C); a row with no class or several
    classes is an error naming the first such row."""
    labels = np.asarray(labels)
    hot = labels > 0.5
    count = hot.sum(-1)
    bad = np.argwhere(count != 1)
    if len(bad):
        position = tuple(int(i) for i in bad[0])
        problem = "no class (all zeros)" if count[position] == 0 else f"{count[position]} classes"
        at = f"{what} {position[0]}" + (f" second {position[1]}" if len(position) > 1 else "")
        raise DataSpecError(f"{where}: {at} has {problem}; each row must be one-hot")
    return hot.argmax(-1)


NO_EVENT = -1  # the video label of a clip whose every second is background


def majority_event(second_labels: np.ndarray, background: int, where: str) -> np.ndarray:
    """Each video's label: the event class of most of its event seconds (a tie goes to the
    class seen first), or NO_EVENT where every second is background. AVE's own Annotations.txt
    holds such a clip (an event from second 0 to 0): it still counts per second, and is left out
    of the one-label-per-video training and accuracy."""
    labels = np.empty(len(second_labels), np.int64)
    for row, seconds in enumerate(second_labels):
        events = [int(c) for c in seconds if c != background]
        counts = {c: events.count(c) for c in dict.fromkeys(events)}
        labels[row] = max(counts, key=counts.get) if counts else NO_EVENT  # first seen wins ties
    empty = int((labels == NO_EVENT).sum())
    if empty == len(labels):
        raise DataSpecError(f"{where}: no video has an event second (all background)")
    if empty:
        log.info("%s: %d video(s) without an event second", where, empty)
    return labels
