"""The player: picture and sound of the shown video, kept in step with the timeline's cursor.

Playback moves the cursor (TimelineState.set_cursor); a seek on the timeline moves playback
(TimelineState.seekRequested). Whenever it is not playing, the picture at the cursor is decoded
and shown (still_frame), so selecting a video, a seek, a jump, a step and the end of playback
all show a picture, not a black box. QtMultimedia may be missing or unable to play (no audio
library, no codec, a headless screen): then the player says why, the picture at the cursor is
still shown, and the timeline, edits and export all keep working. Where there is no audio
device, `sound_notice` says "no sound output".
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QUrl, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedLayout,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from .still_frame import FrameGrabber, StillPicture
from .timeline.lanes import format_time
from .timeline.state import TimelineState

log = logging.getLogger(__name__)

SPEEDS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
VOLUME_STEP = 0.1


def _load_multimedia():
    """(QMediaPlayer, QAudioOutput, QVideoWidget) classes, or the reason they cannot be used."""
    try:
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        from PySide6.QtMultimediaWidgets import QVideoWidget
    except ImportError as exc:  # e.g. libpulse.so.0 missing on a minimal Linux
        return None, f"Playback unavailable: Qt Multimedia cannot load ({exc})"
    return (QMediaPlayer, QAudioOutput, QVideoWidget), ""


def _no_audio_device() -> bool:
    from PySide6.QtMultimedia import QMediaDevices

    return not QMediaDevices.audioOutputs()


def _nothing(*_args) -> None:
    pass


def _settle_virtual_lookups(*objects) -> None:
    """Make Qt's calls of connectNotify / disconnectNotify on these objects GIL-free.

    PySide6 looks for a Python override of a virtual method the first time Qt calls it on an
    object made from Python, taking the GIL to do so, and caches the answer. Qt's media backend
    tears its playback threads down while the main thread is inside `stop()` or `setSource()`
    (PySide6 keeps the GIL there); a backend thread that destroys an object connected to the
    player or its audio output calls `disconnectNotify` on them while holding Qt's connection
    lock, and the main thread waits for that lock: each waited for the other for good (found in
    CI: a window closed during a test never returned; reproduced in 7 of 16 runs of 30 quick
    play/stop cycles). Connecting and disconnecting once here, on the main thread, answers the
    lookups before any backend thread can ask (none of 18 runs hung)."""
    for item in objects:
        item.objectNameChanged.connect(_nothing)
        item.objectNameChanged.disconnect(_nothing)


class PlayerView(QWidget):
    """Picture, play/pause, speed, mute and volume, and the time; `unavailable` says why
    playback is off, if it is, and `sound_notice` why there is no sound."""

    message = Signal(str)  # a line for the status bar (playback problems)

    def __init__(self, state: TimelineState, parent=None):
        super().__init__(parent)
        self.state = state
        self.player = self.audio = self.video_widget = None
        self.unavailable = ""
        self._path = None
        self.speed, self.volume, self.muted = 1.0, 1.0, False
        classes, self.unavailable = _load_multimedia()
        self.still = StillPicture(self)
        self.frames = FrameGrabber(self)
        self.frames.frameReady.connect(self._on_frame)
        self.frames.failed.connect(lambda reason: self.still.show_picture(None, None, reason))
        self._stack = QStackedLayout()
        self._stack.addWidget(self.still)
        if classes:
            self._build_player(*classes)
            self._stack.addWidget(self.video_widget)
        self.sound_notice = (
            f"{self.unavailable}: no sound output; the picture at the cursor is still shown"
            if self.unavailable
            else "no sound output: this computer has no audio device"
            if _no_audio_device()
            else ""
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._stack, 1)
        layout.addLayout(self._build_controls())
        state.cursorChanged.connect(self._on_cursor)
        state.durationChanged.connect(lambda _d: self._show_time(state.cursor))
        state.seekRequested.connect(self.seek)

    def _build_player(self, media_player, audio_output, video_widget) -> None:
        self.player = media_player(self)
        self.audio = audio_output(self)
        self.video_widget = video_widget(self)
        _settle_virtual_lookups(self.player, self.audio, self.video_widget)
        self.player.setAudioOutput(self.audio)
        self.video_widget.setMinimumSize(160, 90)
        self.player.setVideoOutput(self.video_widget)
        self.player.positionChanged.connect(self._on_position)
        self.player.playbackStateChanged.connect(self._on_playback_state)
        self.player.mediaStatusChanged.connect(self._on_media_status)
        self.player.errorOccurred.connect(self._on_error)

    def _build_controls(self) -> QHBoxLayout:
        self.play_button = QPushButton(self.style().standardIcon(QStyle.SP_MediaPlay), "")
        self.play_button.setToolTip("Play or pause (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.time_label = QLabel("0:00 / 0:00")
        self.speed_box = QComboBox()
        self.speed_box.addItems([f"{s:g}×" for s in SPEEDS])
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Playback speed (< slower, > faster)")
        self.speed_box.currentIndexChanged.connect(lambda i: self.set_speed(SPEEDS[i]))
        self.mute_button = QPushButton(self.style().standardIcon(QStyle.SP_MediaVolume), "")
        self.mute_button.setToolTip("Mute (Ctrl+M)")
        self.mute_button.clicked.connect(self.toggle_mute)
        self.volume_slider = QSlider(Qt.Horizontal)
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(100)
        self.volume_slider.setMaximumWidth(90)
        self.volume_slider.setToolTip("Volume (Ctrl+Up, Ctrl+Down)")
        self.volume_slider.valueChanged.connect(lambda v: self.set_volume(v / 100))
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.time_label, 1)
        for widget in (self.speed_box, self.mute_button, self.volume_slider):
            controls.addWidget(widget)
        for widget in (self.play_button, self.speed_box, self.mute_button, self.volume_slider):
            widget.setEnabled(self.player is not None)
            if self.player is None:
                widget.setToolTip(self.unavailable)
        return controls

    # ---- following the timeline --------------------------------------------------------------

    def set_source(self, path) -> None:
        """Load a video (paused at its start, its first picture shown); None unloads."""
        self._path = path
        self.frames.set_source(path)
        self.still.show_picture(None, None, "" if path else "No video selected")
        self._stack.setCurrentWidget(self.still)
        if path:
            self.frames.request(self.state.cursor)
        self._show_time(self.state.cursor)
        if self.player is None:
            return
        self.player.stop()
        self.player.setSource(QUrl.fromLocalFile(str(path)) if path else QUrl())
        self.player.setPlaybackRate(self.speed)

    def seek(self, seconds: float) -> None:
        if self.player is not None and self._path:
            self.player.setPosition(int(seconds * 1000))

    def toggle_play(self) -> None:
        if self.player is None:
            self.message.emit(self.unavailable)
            return
        if not self._path:
            self.message.emit("Select a video to play")
            return
        if self.is_playing():
            self.player.pause()
            return
        if self.state.duration and self.state.cursor >= self.state.duration - 0.05:
            self.state.seek(0.0)  # played to the end: start again
        self.player.setPosition(int(self.state.cursor * 1000))
        self.player.play()

    def is_playing(self) -> bool:
        if self.player is None:
            return False
        from PySide6.QtMultimedia import QMediaPlayer

        return self.player.playbackState() == QMediaPlayer.PlayingState

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
        self.frames.wait()

    # ---- speed, steps, sound -----------------------------------------------------------------

    def set_speed(self, rate: float) -> None:
        self.speed = min(SPEEDS, key=lambda s: abs(s - rate))
        self.speed_box.blockSignals(True)
        self.speed_box.setCurrentIndex(SPEEDS.index(self.speed))
        self.speed_box.blockSignals(False)
        if self.player is not None:
            self.player.setPlaybackRate(self.speed)
        self.message.emit(f"Playback speed {self.speed:g}×")

    def faster(self) -> None:
        self.set_speed(SPEEDS[min(SPEEDS.index(self.speed) + 1, len(SPEEDS) - 1)])

    def slower(self) -> None:
        self.set_speed(SPEEDS[max(SPEEDS.index(self.speed) - 1, 0)])

    def frame_rate(self) -> float:
        info = self.frames.info
        return info.fps if info is not None and info.fps else 25.0

    def step_frames(self, count: int) -> None:
        """Pause and move the cursor by `count` frames of the video."""
        if self.is_playing():
            self.player.pause()
        fps = self.frame_rate()
        frame = round(self.state.cursor * fps) + count
        end = max(self.state.duration - 1.0 / fps, 0.0)
        self.state.seek(min(max(frame / fps, 0.0), end))

    def step_seconds(self, count: int) -> None:
        """Move the cursor to the start of the second `count` seconds away."""
        second = self.state.cursor_second() + count
        self.state.seek(min(max(float(second), 0.0), max(self.state.duration - 0.001, 0.0)))

    def toggle_mute(self) -> None:
        self.muted = not self.muted
        if self.audio is not None:
            self.audio.setMuted(self.muted)
        icon = QStyle.SP_MediaVolumeMuted if self.muted else QStyle.SP_MediaVolume
        self.mute_button.setIcon(self.style().standardIcon(icon))
        self.message.emit("Sound muted" if self.muted else "Sound on")

    def set_volume(self, volume: float) -> None:
        self.volume = min(max(volume, 0.0), 1.0)
        if self.audio is not None:
            self.audio.setVolume(self.volume)
        self.volume_slider.blockSignals(True)
        self.volume_slider.setValue(round(self.volume * 100))
        self.volume_slider.blockSignals(False)

    def louder(self) -> None:
        self.set_volume(self.volume + VOLUME_STEP)
        self.message.emit(f"Volume {self.volume:.0%}")

    def quieter(self) -> None:
        self.set_volume(self.volume - VOLUME_STEP)
        self.message.emit(f"Volume {self.volume:.0%}")

    # ---- reactions ---------------------------------------------------------------------------

    def _on_cursor(self, seconds: float) -> None:
        self._show_time(seconds)
        if not self.is_playing():
            self.frames.request(seconds)  # a seek, jump or step: show the picture there

    def _on_frame(self, seconds: float, picture) -> None:
        if self.is_playing():
            return
        note = "" if picture is not None else "No picture (sound only)"
        self.still.show_picture(picture, seconds, note)
        self._stack.setCurrentWidget(self.still)

    def _on_position(self, milliseconds: int) -> None:
        # Only playback moves the cursor here; seeks come the other way and are not echoed back.
        if self.is_playing():
            self.state.set_cursor(milliseconds / 1000.0)

    def _on_playback_state(self, _state) -> None:
        playing = self.is_playing()
        icon = QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        if playing:
            self._stack.setCurrentWidget(self.video_widget)
        else:  # paused or stopped: the decoded picture at the cursor takes over
            self.frames.request(self.state.cursor)

    def _on_media_status(self, status) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status == QMediaPlayer.EndOfMedia:
            self.state.set_cursor(self.state.duration)
            self.frames.request(self.state.cursor)

    def _on_error(self, _error, text: str) -> None:
        self.unavailable = f"Playback problem: {text or 'unknown error'}"
        log.warning("%s: %s", self._path, self.unavailable)
        self.message.emit(self.unavailable)

    def _show_time(self, seconds: float) -> None:
        self.time_label.setText(f"{format_time(seconds)} / {format_time(self.state.duration)}")
