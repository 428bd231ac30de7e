"""The player: picture and sound of the shown video, kept in step with the timeline's cursor.

Playback moves the cursor (TimelineState.set_cursor); a seek on the timeline moves playback
(TimelineState.seekRequested). QtMultimedia may be missing or unable to play (no audio library,
no codec, a headless screen): then the player says why, stays out of the way, and the timeline,
edits and export all keep working.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QUrl, Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QStyle, QVBoxLayout, QWidget)

from .timeline.lanes import format_time
from .timeline.state import TimelineState

log = logging.getLogger(__name__)


def _load_multimedia():
    """(QMediaPlayer, QAudioOutput, QVideoWidget) classes, or the reason they cannot be used."""
    try:
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        from PySide6.QtMultimediaWidgets import QVideoWidget
    except ImportError as exc:  # e.g. libpulse.so.0 missing on a minimal Linux
        return None, f"Playback unavailable: Qt Multimedia cannot load ({exc})"
    return (QMediaPlayer, QAudioOutput, QVideoWidget), ""


class PlayerView(QWidget):
    """Video picture, play/pause and the time; `unavailable` says why playback is off, if it is."""

    message = Signal(str)   # a line for the status bar (playback problems)

    def __init__(self, state: TimelineState, parent=None):
        super().__init__(parent)
        self.state = state
        self.player = self.audio = self.video_widget = None
        self.unavailable = ""
        self._path = None
        classes, self.unavailable = _load_multimedia()
        self.play_button = QPushButton(self.style().standardIcon(QStyle.SP_MediaPlay), "")
        self.play_button.setToolTip("Play or pause (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.time_label = QLabel("0:00 / 0:00")
        self.notice = QLabel(self.unavailable)
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignCenter)
        self.notice.setStyleSheet("color: #5a6270; background: #20242a; padding: 12px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if classes:
            self._build_player(*classes)
            layout.addWidget(self.video_widget, 1)
        else:
            self.notice.setStyleSheet("color: #c8ccd2; background: #20242a; padding: 12px;")
            layout.addWidget(self.notice, 1)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.time_label, 1)
        layout.addLayout(controls)
        self.play_button.setEnabled(self.player is not None)
        state.cursorChanged.connect(self._show_time)
        state.durationChanged.connect(lambda _d: self._show_time(state.cursor))
        state.seekRequested.connect(self.seek)

    def _build_player(self, media_player, audio_output, video_widget) -> None:
        self.player = media_player(self)
        self.audio = audio_output(self)
        self.player.setAudioOutput(self.audio)
        self.video_widget = video_widget(self)
        self.video_widget.setMinimumSize(160, 90)
        self.player.setVideoOutput(self.video_widget)
        self.player.positionChanged.connect(self._on_position)
        self.player.playbackStateChanged.connect(self._on_playback_state)
        self.player.errorOccurred.connect(self._on_error)

    # ---- following the timeline --------------------------------------------------------------

    def set_source(self, path) -> None:
        """Load a video (paused at its start); None unloads."""
        self._path = path
        if self.player is None:
            return
        self.player.stop()
        self.player.setSource(QUrl.fromLocalFile(str(path)) if path else QUrl())
        self._show_time(0.0)

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
        else:
            self.player.play()

    def is_playing(self) -> bool:
        if self.player is None:
            return False
        from PySide6.QtMultimedia import QMediaPlayer
        return self.player.playbackState() == QMediaPlayer.PlayingState

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()

    # ---- reactions ---------------------------------------------------------------------------

    def _on_position(self, milliseconds: int) -> None:
        # Only playback moves the cursor here; seeks come the other way and are not echoed back.
        if self.is_playing():
            self.state.set_cursor(milliseconds / 1000.0)

    def _on_playback_state(self, _state) -> None:
        icon = QStyle.SP_MediaPause if self.is_playing() else QStyle.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _on_error(self, _error, text: str) -> None:
        self.unavailable = f"Playback problem: {text or 'unknown error'}"
        log.warning("%s: %s", self._path, self.unavailable)
        self.message.emit(self.unavailable)

    def _show_time(self, seconds: float) -> None:
        self.time_label.setText(f"{format_time(seconds)} / {format_time(self.state.duration)}")
