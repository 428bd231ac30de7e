"""The timeline: lanes of one video on a shared time axis, driven by TimelineState."""
