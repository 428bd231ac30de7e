"""Label Studio JSON: a task per video, human labels as its annotation, model labels as its
prediction.

Videos carry `TimelineLabels` ranges, counted in frames from 1 at the frame rate the labelling
config gives the Video tag: 24 frames per second, Label Studio's default, written into each task
as `fps` (the config written beside the JSON says `frameRate="$fps"`). Sound files, and videos
whose labels came in as audio regions, carry audio `labels` regions in seconds.

Reading takes the frame rate from the task's `fps`, else from the labelling config's Video tag
(`frameRate="25.0"`), else 24 (noted). The config is the one beside the JSON (`<name>.label-config
.xml`, `<name>.xml`, `label_config.xml`) or, in a webhook payload ({annotation, project, task}),
the project's own; its Video and Audio tags also say which data key holds the media. JSON nested
too deep or too big is refused in one line.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

from .labelstudio_config import LabelConfig, load_tasks

from ..paths import video_path_relative_to
from .base import (
    HUMAN,
    MODEL,
    Event,
    LabelFileError,
    LabelFormat,
    ParsedFile,
    VideoLabels,
    read_text,
    runs,
    sniff,
    write_text_atomic,
)

FRAME_RATE = 24  # Label Studio's default frameRate of the Video tag
VIDEO_CONTROL, AUDIO_CONTROL = "labels", "audio_labels"
AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac"}
_MEDIA_KEYS = ("video", "audio", "video_url", "audio_url")


class LabelStudioJson(LabelFormat):
    name = "labelstudio"
    title = "Label Studio JSON"
    suffix = ".json"
    reads_sources = True

    def can_read(self, path: Path) -> bool:
        head = sniff(path).lstrip()
        return head[:1] in ("[", "{") and ('"data"' in head or Path(path).suffix == ".json")

    # ---- reading ---------------------------------------------------------------------------

    def parse(self, path: Path) -> ParsedFile:
        path = Path(path)
        tasks, config = load_tasks(path, read_text(path))
        parsed = ParsedFile(path)
        for index, task in enumerate(tasks):
            self._task(parsed, task, index, config)
        return parsed

    def _task(self, parsed: ParsedFile, task, index: int, config: LabelConfig) -> None:
        path = parsed.path
        where = f"task {task.get('id', index + 1) if isinstance(task, dict) else index + 1}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise LabelFileError(f'{path}: {where}: not a Label Studio task (no "data")')
        data = task["data"]
        keys = [*config.media_keys, *_MEDIA_KEYS]
        key = next((k for k in keys if isinstance(data.get(k), str)), None)
        media = data.get(key)
        if media is None:
            raise LabelFileError(
                f"{path}: {where}: its data names no video or audio "
                f"(looked for {', '.join(dict.fromkeys(keys))})"
            )
        parsed.name_video(media, where)
        # Sound has no frames: its regions are in seconds.
        sound = key in config.audio_keys or key.startswith("audio")
        if sound:
            parsed.sound.add(media)
        fps = None if sound else self._frame_rate(data, parsed, where, config)
        for key, source in (("annotations", HUMAN), ("predictions", MODEL)):
            chosen = self._latest(
                task.get(key) or task.get("completions" if key == "annotations" else "", []),
                parsed,
                where,
                key,
            )
            if chosen is None:
                continue
            results = chosen.get("result", [])
            if not isinstance(results, list):
                raise LabelFileError(f"{path}: {where}: {key} result is not a list")
            for region in results:
                for event in self._events(region, media, fps, source, path, where, parsed):
                    parsed.add(event)

    @staticmethod
    def _frame_rate(data: dict, parsed: ParsedFile, where: str, config=None) -> float:
        for key in ("fps", "frameRate", "frame_rate"):
            if key in data:
                try:
                    fps = float(data[key])
                except (TypeError, ValueError, OverflowError):
                    fps = math.nan
                if not (math.isfinite(fps) and fps > 0):
                    raise LabelFileError(
                        f"{parsed.path}: {where}: {key} {data[key]!r} is not a frame rate"
                    )
                return fps
        rate = config.frame_rate(data, parsed.path, where) if config else None
        if rate is not None:
            return rate
        note = (
            f"{parsed.path.name}: no fps in the tasks and no frameRate in a labelling config: "
            f"video ranges read at {FRAME_RATE} frames per second (Label Studio's default)"
        )
        if note not in parsed.notes:
            parsed.notes.append(note)
        return float(FRAME_RATE)

    @staticmethod
    def _latest(entries, parsed: ParsedFile, where: str, key: str):
        if not isinstance(entries, list):
            raise LabelFileError(f"{parsed.path}: {where}: {key} is not a list")
        kept = [
            e
            for e in entries
            if isinstance(e, dict) and not (e.get("was_cancelled") or e.get("skipped"))
        ]
        if len(kept) > 1:
            parsed.notes.append(f"{parsed.path.name}: {where}: {len(kept)} {key}; read the latest")
        kept.sort(key=lambda e: str(e.get("updated_at") or e.get("created_at") or ""))
        return kept[-1] if kept else None

    @staticmethod
    def _events(region, media, fps, source, path, where, parsed) -> list[Event]:
        if not isinstance(region, dict):
            raise LabelFileError(f"{path}: {where}: a result is not an object")
        kind = region.get("type")
        value = region.get("value") or {}
        at = f"{where}, result {region.get('id', '?')}"
        try:
            if kind == "timelinelabels":
                fps = fps or LabelStudioJson._frame_rate({}, parsed, where)
                spans = [
                    ((float(r["start"]) - 1) / fps, float(r["end"]) / fps) for r in value["ranges"]
                ]
                labels = value["timelinelabels"]
            elif kind == "labels":
                spans = [(float(value["start"]), float(value["end"]))]
                labels = value["labels"]
            else:
                parsed.notes.append(
                    f"{path.name}: {at}: {kind!r} result not read (only "
                    "timelinelabels and labels are)"
                )
                return []
            if not all(math.isfinite(t) for span in spans for t in span):
                raise ValueError("a time is not a finite number")
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise LabelFileError(f"{path}: {at}: malformed {kind} value ({exc!r})") from None
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise LabelFileError(f"{path}: {at}: its labels are not a list of names")
        return [
            Event(media, start, end, label.strip(), source, at)
            for start, end in spans
            for label in labels
            if label.strip()
        ]

    # ---- writing ---------------------------------------------------------------------------

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        return self.write_with(videos, out, None)

    def write_with(self, videos: list[VideoLabels], out: Path, options) -> list[Path]:
        out = Path(out)
        audio = set(options.audio_regions) if options else set()
        tasks = [
            self._task_of(video, number, out, _is_sound(video, audio))
            for number, video in enumerate(videos, 1)
        ]
        written = [write_text_atomic(out, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")]
        config = out.with_name(f"{out.stem}.label-config.xml")
        written.append(write_text_atomic(config, self.labelling_config(videos, audio)))
        return written

    def _task_of(self, video: VideoLabels, number: int, out: Path, audio: bool) -> dict:
        media = video_path_relative_to(video.path, out)
        data = {"audio": media} if audio else {"video": media, "fps": FRAME_RATE}
        task: dict = {"id": number, "data": data, "annotations": [], "predictions": []}
        by_source = {HUMAN: [], MODEL: []}
        for run in runs(video):
            by_source[HUMAN if run.source == HUMAN else MODEL].append(run)
        for source, kind in ((HUMAN, "annotations"), (MODEL, "predictions")):
            results = [
                self._region(run, f"{source[0]}{number}-{i}", audio, video.duration)
                for i, run in enumerate(by_source[source], 1)
            ]
            if not results:
                continue
            if source == HUMAN:
                task[kind].append(
                    {"id": number, "result": results, "was_cancelled": False, "ground_truth": False}
                )
            else:
                task[kind].append({"model_version": video.model or "model", "result": results})
        return task

    @staticmethod
    def _region(run, ident: str, audio: bool, duration: float) -> dict:
        if audio:
            return {
                "id": ident,
                "from_name": AUDIO_CONTROL,
                "to_name": "audio",
                "type": "labels",
                "original_length": duration,
                "origin": "manual",
                "value": {"start": run.start, "end": run.end, "channel": 0, "labels": [run.label]},
            }
        first = round(run.start * FRAME_RATE) + 1
        last = max(first, math.ceil(run.end * FRAME_RATE - 1e-6))
        return {
            "id": ident,
            "from_name": VIDEO_CONTROL,
            "to_name": "video",
            "type": "timelinelabels",
            "origin": "manual",
            "value": {"ranges": [{"start": first, "end": last}], "timelinelabels": [run.label]},
        }

    @staticmethod
    def labelling_config(videos: list[VideoLabels], audio_regions=frozenset()) -> str:
        """The labelling config a Label Studio project needs to open these tasks."""
        labels = sorted({x for v in videos for x in v.labels if x is not None})
        kinds = {_is_sound(v, audio_regions) for v in videos}
        view = ET.Element("View")
        controls = []
        if False in kinds or not kinds:
            ET.SubElement(view, "Video", {"name": "video", "value": "$video", "frameRate": "$fps"})
            controls.append(
                ET.SubElement(view, "TimelineLabels", {"name": VIDEO_CONTROL, "toName": "video"})
            )
        if True in kinds:
            ET.SubElement(view, "Audio", {"name": "audio", "value": "$audio"})
            controls.append(
                ET.SubElement(view, "Labels", {"name": AUDIO_CONTROL, "toName": "audio"})
            )
        for control in controls:
            for label in labels:
                ET.SubElement(control, "Label", {"value": label})
        ET.indent(view)
        return ET.tostring(view, "unicode") + "\n"


def _is_sound(video: VideoLabels, audio_regions) -> bool:
    """Sound files, and videos whose labels came in as audio regions, get audio regions."""
    return video.path.suffix.lower() in AUDIO_SUFFIXES or video.path.name in audio_regions
