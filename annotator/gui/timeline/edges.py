"""Segment edges on the Human lane: finding the edge under the pointer and what moving it does.

Pure functions of the human labels ({second: label}), so the drag's preview and the stored edit
are computed the same way. Moving an edge outwards gives the segment's label to the seconds it
passes over; moving it inwards hands the seconds it leaves to the segment next to that edge when
one touches it, else clears them (the model's labels show there again). A segment keeps at least
one second.
"""

from __future__ import annotations

EDGE_GRAB_PIXELS = 5


def human_segments(human: dict[int, str], seconds: int) -> list[tuple[int, int, str]]:
    """[(start, end, label)] of the runs of equal human labels; unlabelled seconds are gaps."""
    out, start = [], None
    for second in range(seconds + 1):
        label = human.get(second) if second < seconds else None
        if start is not None and label != human.get(start):
            out.append((start, second, human[start]))
            start = None
        if start is None and label is not None:
            start = second
    return out


def edge_near(
    human: dict[int, str], seconds: int, time: float, tolerance: float
) -> tuple[int, int, str] | None:
    """(start, end, "start" or "end") of the segment edge within `tolerance` seconds of
    `time`. Where two segments touch, the side of the pointer picks the segment."""
    best = None
    for start, end, _label in human_segments(human, seconds):
        for edge, at in (("start", start), ("end", end)):
            distance = abs(time - at)
            if distance > tolerance:
                continue
            inside = (time >= at) if edge == "start" else (time <= at)
            key = (distance, not inside)
            if best is None or key < best[0]:
                best = (key, (start, end, edge))
    return best[1] if best else None


def resize_changes(
    human: dict[int, str], start: int, end: int, edge: str, to: int, seconds: int
) -> dict[int, str | None]:
    """The label changes that move `edge` of the segment [start, end) to boundary `to`."""
    label = human.get(start)
    if label is None:
        return {}
    if edge == "end":
        to = min(max(to, start + 1), seconds)
        if to >= end:
            return {s: label for s in range(end, to) if human.get(s) != label}
        neighbour = human.get(end) if end < seconds else None
        return {s: neighbour for s in range(to, end)}
    if edge != "start":
        raise ValueError(f"edge must be 'start' or 'end', not {edge!r}")
    to = max(min(to, end - 1), 0)
    if to <= start:
        return {s: label for s in range(to, start) if human.get(s) != label}
    neighbour = human.get(start - 1) if start > 0 else None
    return {s: neighbour for s in range(start, to)}


def resized(
    human: dict[int, str], start: int, end: int, edge: str, to: int, seconds: int
) -> dict[int, str]:
    """The human labels as they would be after the move (the drag's preview)."""
    shown = dict(human)
    for second, label in resize_changes(human, start, end, edge, to, seconds).items():
        if label is None:
            shown.pop(second, None)
        else:
            shown[second] = label
    return shown
