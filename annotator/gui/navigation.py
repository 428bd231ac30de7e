"""Where N, D and the segment keys go: forwards and backwards, and on through the folder.

The rule for which seconds count (doubtful, disagreeing) is the TimelineState's own
(`doubtful_seconds`, `disagreement_seconds`), asked of the shown video and, for the others, of a
scratch TimelineState loaded from the store the same way the shown one is (ProjectState.
video_data). So a change to what counts as doubtful is made in one place and N follows it in
every video.
"""

from __future__ import annotations

from typing import Callable

from ..core.conventions import BACKGROUND
from .project import ProjectState
from .timeline.state import TimelineState

KINDS = {
    "doubtful": (TimelineState.doubtful_seconds, "doubtful (below the threshold)"),
    "disagreement": (TimelineState.disagreement_seconds, "where audio and visual disagree"),
}


class Navigator:
    """Moves the cursor to the next or previous second of a kind; past the last one of the
    shown video it opens the next video in the folder's order that has one (`open_video`),
    and after the last video it wraps round. Without `open_video` it stays in the video."""

    def __init__(
        self,
        project: ProjectState,
        timeline: TimelineState,
        open_video: Callable[[str], None] | None,
        say: Callable[[str], None],
    ):
        self.project, self.timeline = project, timeline
        self.open_video, self.say = open_video, say
        self._scratch: TimelineState | None = None

    def seconds_of(self, name: str, kind: str) -> list[int]:
        """The seconds of `kind` in video `name`, at the shown threshold."""
        rule = KINDS[kind][0]
        if name == self.timeline.video:
            return rule(self.timeline)
        if self._scratch is None:
            self._scratch = TimelineState()
        self._scratch.show_video(**self.project.video_data(name))
        self._scratch.set_threshold(self.timeline.threshold)
        return rule(self._scratch)

    def _order(self, step: int) -> list[str]:
        """The other videos in the direction of travel, starting after the shown one."""
        names = self.project.names() if self.open_video else []
        if self.timeline.video not in names:
            return []
        at = names.index(self.timeline.video)
        return [names[(at + step * k) % len(names)] for k in range(1, len(names))]

    def jump(self, kind: str, step: int) -> bool:
        what = KINDS[kind][1]
        video, here = self.timeline.video, self.timeline.cursor_second()
        if video is None:
            self.say("Open a video first")
            return False
        seconds = self.seconds_of(video, kind)
        ahead = [s for s in seconds if (s > here if step > 0 else s < here)]
        if ahead:
            return self._go(video, ahead[0] if step > 0 else ahead[-1], len(seconds), what)
        for name in self._order(step):
            found = self.seconds_of(name, kind)
            if found:
                return self._go(name, found[0] if step > 0 else found[-1], len(found), what)
        if seconds:  # only this video has any: wrap round inside it
            return self._go(video, seconds[0] if step > 0 else seconds[-1], len(seconds), what)
        self.say(f"No second {what}" + (" in any video" if self._order(step) else ""))
        return False

    def _go(self, name: str, second: int, count: int, what: str) -> bool:
        if name != self.timeline.video:
            self.open_video(name)
        self.timeline.seek(float(second))
        self.timeline.set_selection(None)
        self.say(f"{name}, {second} s: {count} second(s) {what} in this video")
        return True

    def segment(self, step: int) -> bool:
        """To the start of the next (or previous) segment: a run of one label that is not
        background, person's labels over the model's."""
        if self.timeline.video is None:
            self.say("Open a video first")
            return False
        labels = [self.timeline.label_at(s) for s in range(self.timeline.seconds)]
        starts = [
            s
            for s, label in enumerate(labels)
            if label != BACKGROUND and (s == 0 or labels[s - 1] != label)
        ]
        here = self.timeline.cursor_second()
        ahead = [s for s in starts if (s > here if step > 0 else s < here)]
        if not ahead:
            self.say(f"No segment {'after' if step > 0 else 'before'} {here} s")
            return False
        second = ahead[0] if step > 0 else ahead[-1]
        self.timeline.seek(float(second))
        self.say(f"{labels[second]} segment at {second} s")
        return True
