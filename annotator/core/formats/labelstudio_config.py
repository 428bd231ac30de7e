"""What Label Studio's labelling config says that its JSON does not: the frame rate of the Video
tag and which data keys hold video or sound; and loading the JSON itself safely.

Label Studio's JSON export holds no config, so it is looked for beside the file; a webhook payload
({annotation, project, task}) carries its project's config and is read as one task.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as SafeET

from .base import LabelFileError

MAX_JSON_BYTES = 64 * 1024 * 1024
_VIDEO_TAGS = {"video"}
_AUDIO_TAGS = {"audio", "audioplus"}


@dataclass
class LabelConfig:
    video_rates: dict[str, str] = field(default_factory=dict)  # data key -> frameRate text
    audio_keys: list[str] = field(default_factory=list)
    where: str = ""

    @property
    def media_keys(self) -> list[str]:
        return [*self.video_rates, *self.audio_keys]

    def frame_rate(self, data: dict, path: Path, where: str) -> float | None:
        """The Video tag's frameRate (a number, or `$key` naming a task field); None if unset."""
        for text in self.video_rates.values():
            if not text:
                continue
            value = data.get(text[1:]) if text.startswith("$") else text
            if value is None:
                continue
            try:
                rate = float(value)
            except (TypeError, ValueError, OverflowError):
                rate = math.nan
            if not (math.isfinite(rate) and rate > 0):
                raise LabelFileError(
                    f"{path}: {where}: frameRate {value!r} of the labelling config "
                    f"({self.where}) is not a frame rate"
                )
            return rate
        return None


def parse_config(text: str, where: str, path: Path) -> LabelConfig:
    try:
        root = SafeET.fromstring(text, forbid_dtd=True)
    except (ET.ParseError, defusedxml.DefusedXmlException, LookupError, UnicodeError) as exc:
        raise LabelFileError(f"{path}: labelling config {where}: not readable XML ({exc})") from exc
    config = LabelConfig(where=where)
    for element in root.iter():
        tag = str(element.tag).lower()
        value = element.get("value", "")
        if not value.startswith("$"):
            continue
        if tag in _VIDEO_TAGS:
            attributes = {k.lower(): v for k, v in element.attrib.items()}
            config.video_rates[value[1:]] = attributes.get("framerate", "")
        elif tag in _AUDIO_TAGS:
            config.audio_keys.append(value[1:])
    return config


def config_beside(path: Path) -> LabelConfig:
    """The labelling config saved beside the JSON, if any (an empty config otherwise)."""
    path = Path(path)
    for candidate in (
        path.with_name(f"{path.stem}.label-config.xml"),
        path.with_suffix(".xml"),
        path.with_name("label_config.xml"),
        path.with_name("label-config.xml"),
    ):
        if candidate.is_file():
            try:
                text = candidate.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise LabelFileError(
                    f"{candidate}: cannot read the labelling config ({exc})"
                ) from exc
            return parse_config(text, candidate.name, path)
    return LabelConfig()


def load_tasks(path: Path, text: str) -> tuple[list, LabelConfig]:
    """The tasks of an export (a list, one task, or a webhook payload) and the config to read
    them with; LabelFileError in one line for anything that is not JSON of that shape."""
    if len(text) > MAX_JSON_BYTES:
        raise LabelFileError(
            f"{path}: {len(text) / 2**20:.0f} MB of JSON is more than the "
            f"{MAX_JSON_BYTES // 2**20} MB a label file may be; export fewer tasks at a time"
        )
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabelFileError(
            f"{path}: line {exc.lineno}, column {exc.colno}: not JSON ({exc.msg})"
        ) from exc
    except RecursionError:
        raise LabelFileError(
            f"{path}: refused: JSON nested too deep to be a Label Studio export"
        ) from None
    config = config_beside(path)
    if isinstance(tasks, dict) and isinstance(tasks.get("task"), dict) and "annotation" in tasks:
        project = tasks.get("project") if isinstance(tasks.get("project"), dict) else {}
        if isinstance(project.get("label_config"), str) and not config.media_keys:
            config = parse_config(project["label_config"], "the payload's project", path)
        task = dict(tasks["task"])
        task["annotations"] = [tasks["annotation"]]
        tasks = [task]
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise LabelFileError(f"{path}: expected a list of Label Studio tasks")
    return tasks, config
