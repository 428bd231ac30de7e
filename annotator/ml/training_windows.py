"""Training windows, drawn afresh every epoch, with the augmentations that make a few labelled
videos go further.

A window is `context` consecutive seconds of one video (the model sees clips of that length).
Every epoch draws new windows at random offsets (a time shift, so an event is seen at every
place in the window) and, when augmenting:
- pastes a run of labelled seconds from another video into the window (events meet new
  neighbours: the recurrent layers learn that a class can start and stop anywhere);
- or makes the whole window of one class, from runs of it in several videos (so a class only
  ever labelled in short runs is still known when it fills a video from start to end);
- changes the sound's gain and adds a little noise to the log-mel patch and the picture embedding;
- moves the pictures' embedding from this video's background towards another video's (the
  scene behind an event changes, so a model of a few videos cannot lean on the backdrop);
- mixes a background second's sound under event seconds (the event heard over other noise);
- for two-stream models, removes one stream from some windows (so a model keeps working on a
  video without sound, or without pictures);
- for two-stream models, re-pairs the streams of event seconds: one stream comes from another
  video of the same class (eight labelled clips of a class then give sixty-four pairings of a
  sound with a picture, so a class that needs this sound AND that picture is learnt as such,
  not by one clip's look);
- for two-stream models, shows background in one stream of a run of event seconds, the label
  unchanged (the event heard off camera, or seen through other noise), so the model names an
  event one stream shows clearly rather than calling it background.
Seconds nobody labelled keep weight 0 throughout.
"""

from __future__ import annotations

import numpy as np

from ..core.audio_features import SILENT_PATCH_VALUE
from ..core.conventions import LOG_OFFSET
from ..core.model_inputs import AUDIO_PRESENT, LOG_MEL, VISUAL, VISUAL_INPUTS, VISUAL_PRESENT
from .training_data import UNLABELLED, VideoSeconds

PASTE_SHARE = 0.35  # windows given a run of seconds from another video
COMPOSE_SHARE = 0.15  # windows made of one class's runs from several videos
GAIN_DB = (-12.0, 6.0)  # the sound's level, changed per window
AUDIO_NOISE = 0.15  # std of noise added to the log-mel (natural log units)
VISUAL_NOISE = 0.1  # std of noise on the picture embedding, relative to its own spread
MIX_SHARE = 0.3  # windows whose event seconds get a background second mixed in
STREAM_REMOVAL_SHARE = 0.1  # two-stream models: windows without audio, and as many without pictures
SCENE_SWAP_SHARE = 0.5  # windows whose picture embeddings move to another video's background
REPAIR_SHARE = 0.3  # windows whose event seconds take one stream from another video of the class
HIDE_SHARE = 0.2  # windows where one stream of a run of event seconds shows only background

_FILL = {LOG_MEL: SILENT_PATCH_VALUE, AUDIO_PRESENT: 0.0, VISUAL: 0.0, VISUAL_PRESENT: 0.0}


def cut_window(video: VideoSeconds, start: int, end: int, inputs: tuple[str, ...]) -> dict:
    """Seconds [start, end) of a video, padded past its end (padding is unlabelled)."""
    stop = min(end, video.seconds)
    pad = end - start - (stop - start)
    window = {"truth": np.pad(video.truth[start:stop], (0, pad), constant_values=UNLABELLED)}
    for name in inputs:
        array = video.arrays[name][start:stop]
        widths = [(0, pad)] + [(0, 0)] * (array.ndim - 1)
        window[name] = np.pad(array, widths, constant_values=_FILL[name]).astype(np.float32)
    return window


def _runs(truth: np.ndarray) -> list[tuple[int, int, int]]:
    """(label, start, end) of each run of equal truth values, unlabelled runs included."""
    changes = np.flatnonzero(np.diff(truth)) + 1
    starts, ends = [0, *changes.tolist()], [*changes.tolist(), len(truth)]
    return [(int(truth[start]), start, end) for start, end in zip(starts, ends)]


def _class_runs(videos: list[VideoSeconds]) -> dict[int, list[tuple[int, int, int]]]:
    """{class: [(video, start, end)]}: every run of seconds labelled with one class."""
    found: dict[int, list[tuple[int, int, int]]] = {}
    for index, video in enumerate(videos):
        for label, start, end in _runs(video.truth):
            if label != UNLABELLED:
                found.setdefault(label, []).append((index, start, end))
    return found


def _labelled_runs(truth: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of labelled seconds (any classes) in a video."""
    labelled = np.concatenate([[False], truth != UNLABELLED, [False]])
    edges = np.flatnonzero(np.diff(labelled.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


class WindowSampler:
    """Draws each epoch's windows from the training videos' seconds."""

    def __init__(
        self,
        videos: list[VideoSeconds],
        inputs: tuple[str, ...],
        context: int,
        weights: np.ndarray,
        background: int,
        two_streams: bool,
        augment: bool = True,
    ):
        self.videos = [v for v in videos if (v.truth != UNLABELLED).any()]
        self.inputs, self.context, self.weights = inputs, context, weights
        self.two_streams, self.augment = two_streams, augment
        self.background = background
        labelled = np.array([(v.truth != UNLABELLED).sum() for v in self.videos], float)
        self.chance = labelled / labelled.sum()
        self.runs = [_labelled_runs(v.truth) for v in self.videos]
        self.class_runs = _class_runs(self.videos)
        self.background_mel = self._background_sound(background)
        visual = [v.arrays[VISUAL] for v in self.videos if VISUAL in v.arrays]
        self.visual_spread = float(np.concatenate(visual).std()) if visual else 0.0
        self.scenes = [self._scene(v, background) for v in self.videos]
        self.stream_keys = {
            "audio": [k for k in (LOG_MEL, "audio", AUDIO_PRESENT) if k in inputs],
            "visual": [k for k in VISUAL_INPUTS if k in inputs],
        }
        self.background_seconds = [
            (i, s)
            for i, v in enumerate(self.videos)
            for s in np.flatnonzero(v.truth == background).tolist()
        ]

    def _background_sound(self, background: int) -> np.ndarray | None:
        """Log-mel patches of every second labelled background where the sound is present."""
        if LOG_MEL not in self.inputs:
            return None
        patches = [
            v.arrays[LOG_MEL][(v.truth == background) & (v.arrays[AUDIO_PRESENT] > 0)]
            for v in self.videos
        ]
        patches = [p for p in patches if len(p)]
        return np.concatenate(patches) if patches else None

    @staticmethod
    def _scene(video: VideoSeconds, background: int) -> np.ndarray | None:
        """The mean picture embedding of a video's background seconds: its scene, roughly."""
        if VISUAL not in video.arrays:
            return None
        quiet = (video.truth == background) & (video.arrays[VISUAL_PRESENT] > 0)
        return video.arrays[VISUAL][quiet].mean(axis=0) if quiet.any() else None

    def natural_windows(self) -> int:
        """How many windows cover the training seconds once."""
        return max(1, int(np.ceil(sum(v.seconds for v in self.videos) / self.context)))

    def epoch(self, count: int, rng) -> dict:
        """`count` windows: each input, 'labels' (class indices) and 'weights' per second."""
        windows = [self._window(rng) for _ in range(count)]
        return {key: np.stack([w[key] for w in windows]) for key in windows[0]}

    # ---- one window ------------------------------------------------------------------------

    def _window(self, rng) -> dict:
        index = int(rng.choice(len(self.videos), p=self.chance))
        video = self.videos[index]
        start = int(rng.integers(0, max(1, video.seconds - self.context + 1)))
        draw = rng.random() if self.augment else 1.0
        if draw < COMPOSE_SHARE:
            window = self._compose(rng)
        else:
            window = self._cut(video, start, start + self.context)
        if self.augment:
            if len(self.videos) > 1 and COMPOSE_SHARE <= draw < COMPOSE_SHARE + PASTE_SHARE:
                self._paste(window, index, rng)
            self._vary_sound(window, rng)
            self._vary_pictures(window, rng)
            if rng.random() < SCENE_SWAP_SHARE:
                self._swap_scene(window, index, rng)
            if self.two_streams and rng.random() < REPAIR_SHARE:
                self._repair_streams(window, index, rng)
            if self.two_streams and rng.random() < HIDE_SHARE:
                self._hide_in_one_stream(window, rng)
        if self.two_streams and self.augment:
            self._remove_a_stream(window, rng)
        truth = window.pop("truth")
        window["weights"] = np.where(truth == UNLABELLED, 0.0, self.weights[np.maximum(truth, 0)])
        window["weights"] = window["weights"].astype(np.float32)
        window["labels"] = np.maximum(truth, 0).astype(np.int32)
        return window

    def _cut(self, video: VideoSeconds, start: int, end: int) -> dict:
        return cut_window(video, start, end, self.inputs)

    def _compose(self, rng) -> dict:
        """A window wholly of one class (chosen evenly), from its runs in any videos."""
        label = list(self.class_runs)[int(rng.integers(len(self.class_runs)))]
        runs, parts, filled = self.class_runs[label], [], 0
        while filled < self.context:
            index, run_start, run_end = runs[int(rng.integers(len(runs)))]
            length = min(run_end - run_start, self.context - filled)
            start = int(rng.integers(run_start, run_end - length + 1))
            parts.append(self._cut(self.videos[index], start, start + length))
            filled += length
        return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}

    def _paste(self, window: dict, index: int, rng) -> None:
        """Overwrite part of the window with a run of labelled seconds from another video."""
        other = int(rng.choice([i for i in range(len(self.videos)) if i != index]))
        runs = self.runs[other]
        run_start, run_end = runs[int(rng.integers(len(runs)))]
        length = int(rng.integers(1, min(run_end - run_start, self.context // 2) + 1))
        source = int(rng.integers(run_start, run_end - length + 1))
        target = int(rng.integers(0, self.context - length + 1))
        piece = self._cut(self.videos[other], source, source + length)
        for key, value in piece.items():
            window[key][target : target + length] = value

    def _vary_sound(self, window: dict, rng) -> None:
        if LOG_MEL not in window:
            return
        mel = np.maximum(np.exp(window[LOG_MEL]) - LOG_OFFSET, 0.0)
        mel *= 10 ** (rng.uniform(*GAIN_DB) / 20)
        truth = window["truth"]
        events = (truth >= 0) & (truth != self.background) & (window[AUDIO_PRESENT] > 0)
        if self.background_mel is not None and events.any() and rng.random() < MIX_SHARE:
            picks = rng.integers(len(self.background_mel), size=int(events.sum()))
            under = np.maximum(np.exp(self.background_mel[picks]) - LOG_OFFSET, 0.0)
            mel[events] += rng.uniform(0.3, 1.0) * under
        noisy = np.log(mel + LOG_OFFSET) + rng.normal(0, AUDIO_NOISE, mel.shape)
        present = window[AUDIO_PRESENT] > 0
        window[LOG_MEL] = np.where(present[:, None, None], noisy, window[LOG_MEL]).astype(
            np.float32
        )

    def _vary_pictures(self, window: dict, rng) -> None:
        if VISUAL not in window or not self.visual_spread:
            return
        noise = rng.normal(0, VISUAL_NOISE * self.visual_spread, window[VISUAL].shape)
        present = window[VISUAL_PRESENT][:, None] > 0
        window[VISUAL] = (window[VISUAL] + noise * present).astype(np.float32)

    def _swap_scene(self, window: dict, index: int, rng) -> None:
        own = self.scenes[index]
        others = [scene for i, scene in enumerate(self.scenes) if i != index and scene is not None]
        if own is None or not others or VISUAL not in window:
            return
        other = others[int(rng.integers(len(others)))]
        present = window[VISUAL_PRESENT][:, None] > 0
        shift = rng.uniform(0.5, 1.0) * (other - own)
        window[VISUAL] = (window[VISUAL] + shift * present).astype(np.float32)

    def _event_runs(self, window: dict) -> list[tuple[int, int, int]]:
        """(class, start, end) of each run of event seconds in the window."""
        return [
            (label, start, end)
            for label, start, end in _runs(window["truth"])
            if label >= 0 and label != self.background
        ]

    def _repair_streams(self, window: dict, index: int, rng) -> None:
        """One stream of each event run comes from a run of the same class in another video."""
        stream = "audio" if rng.random() < 0.5 else "visual"
        for label, start, end in self._event_runs(window):
            runs = [r for r in self.class_runs.get(label, []) if r[0] != index]
            if not runs:
                continue
            other, run_start, run_end = runs[int(rng.integers(len(runs)))]
            length = min(end - start, run_end - run_start)
            source = int(rng.integers(run_start, run_end - length + 1))
            piece = self._cut(self.videos[other], source, source + length)
            for key in self.stream_keys[stream]:
                window[key][start : start + length] = piece[key]

    def _hide_in_one_stream(self, window: dict, rng) -> None:
        """A run of event seconds where one stream shows background (the event heard but not
        seen, or seen but not heard), the label unchanged."""
        runs = self._event_runs(window)
        if not runs or not self.background_seconds:
            return
        _label, start, end = runs[int(rng.integers(len(runs)))]
        length = int(rng.integers(1, end - start + 1))
        first = int(rng.integers(start, end - length + 1))
        stream = "audio" if rng.random() < 0.5 else "visual"
        for second in range(first, first + length):
            video, source = self.background_seconds[int(rng.integers(len(self.background_seconds)))]
            piece = self._cut(self.videos[video], source, source + 1)
            for key in self.stream_keys[stream]:
                window[key][second] = piece[key][0]

    def _remove_a_stream(self, window: dict, rng) -> None:
        draw = rng.random()
        if draw < STREAM_REMOVAL_SHARE:
            window[LOG_MEL][:] = SILENT_PATCH_VALUE
            window[AUDIO_PRESENT][:] = 0.0
        elif draw < 2 * STREAM_REMOVAL_SHARE:
            window[VISUAL][:] = 0.0
            window[VISUAL_PRESENT][:] = 0.0


def fixed_windows(videos: list[VideoSeconds], inputs: tuple[str, ...], context: int) -> dict:
    """The held-out videos cut into consecutive windows (as prediction cuts them), unweighted."""
    from .prediction import context_windows

    windows = []
    for video in videos:
        for start, end in context_windows(video.seconds, context):
            window = cut_window(video, start, start + context, inputs)
            truth = window.pop("truth")
            window["weights"] = (truth != UNLABELLED).astype(np.float32)
            window["labels"] = np.maximum(truth, 0).astype(np.int32)
            windows.append(window)
    if not windows:
        return {}
    return {key: np.stack([w[key] for w in windows]) for key in windows[0]}
