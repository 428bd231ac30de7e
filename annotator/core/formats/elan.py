"""ELAN annotation documents (.eaf, format 3.0), one per video.

Written: a tier of the seconds a person labelled and a tier of the model's labels, time slots in
milliseconds, and a media descriptor pointing at the video (absolute URL and, where possible, the
path relative to the .eaf file, as ELAN itself writes). Read: the tiers the user names (--tier,
repeatable), else our two tiers, else the first time-aligned tier of someone else's document
(the others are named, with their annotation counts, in a note). Reference tiers (symbolic
association and subdivision) take their parents' times, a subdivision's parts sharing the parent
evenly, as ELAN draws them; unaligned time slots are placed evenly between their aligned
neighbours. The parser refuses any DTD, so no entity is ever expanded: no external entities, no
billion laughs.
"""

from __future__ import annotations

import mimetypes
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from ..paths import video_path_relative_to
from .base import (
    HUMAN,
    Event,
    LabelFileError,
    LabelFormat,
    ParsedFile,
    VideoLabels,
    out_folder,
    per_video_paths,
    runs,
    sniff,
    write_text_atomic,
)
from .elan_tiers import HUMAN_TIER, MODEL_TIER, ElanTiers

LINGUISTIC_TYPE = "av-annotator-label"
# XML 1.0 cannot hold these characters at all; \r would come back as \n.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]")
# The four stereotypes every ELAN document declares.
_CONSTRAINTS = {
    "Time_Subdivision": "Time subdivision of parent annotation's time interval, no time gaps "
    "allowed within this interval",
    "Symbolic_Subdivision": "Symbolic subdivision of a parent annotation. Annotations refering "
    "to the same parent are ordered",
    "Symbolic_Association": "1-1 association with a parent annotation",
    "Included_In": "Time alignable annotations within the parent annotation's time interval, "
    "gaps are allowed",
}


class ElanDocument(LabelFormat):
    name = "eaf"
    title = "ELAN .eaf"
    suffix = ".eaf"
    one_file_per_video = True
    reads_sources = True

    def can_read(self, path: Path) -> bool:
        return Path(path).suffix.lower() == ".eaf" or "<ANNOTATION_DOCUMENT" in sniff(path)[:4096]

    # ---- reading ---------------------------------------------------------------------------

    def parse(self, path: Path) -> ParsedFile:
        return self.parse_with(path, None)

    def parse_with(self, path: Path, options) -> ParsedFile:
        path = Path(path)
        document = ElanTiers(path)
        parsed = ParsedFile(path)
        reference, alternatives = _media_references(document.header)
        parsed.name_video(reference, "MEDIA_DESCRIPTOR" if reference else "file name")
        parsed.alternatives[reference] = alternatives
        chosen = document.chosen(tuple(options.tiers) if options else (), parsed.notes)
        for tier, source in chosen:
            for ident, label, start, end in document.annotations(tier):
                where = f"tier {tier.get('TIER_ID')!r}, annotation {ident}"
                parsed.add(Event(reference, start, end, label, source, where))
        return parsed

    @staticmethod
    def tiers(path: Path) -> list[tuple[str, int]]:
        """(tier, number of annotations with a value) of each tier, for choosing in the app."""
        return ElanTiers(Path(path)).counts()

    # ---- writing ---------------------------------------------------------------------------

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        folder = out_folder(out)
        return [
            write_text_atomic(path, self.document(video, path))
            for video, path in zip(videos, per_video_paths(videos, folder, self.suffix))
        ]

    def document(self, video: VideoLabels, eaf_path: Path) -> str:
        tiers = {
            HUMAN_TIER: [r for r in runs(video) if r.source == HUMAN],
            MODEL_TIER: [r for r in runs(video) if r.source != HUMAN],
        }
        for run in tiers[HUMAN_TIER] + tiers[MODEL_TIER]:
            if _NOT_IN_XML.search(run.label):
                raise LabelFileError(
                    f"{eaf_path}: label {run.label!r} of {video.path.name} holds "
                    "a control character that XML cannot store; rename it first"
                )
        root = ET.Element(
            "ANNOTATION_DOCUMENT",
            {
                "AUTHOR": "AV Annotator",
                "DATE": datetime.now(UTC).isoformat(timespec="seconds"),
                "FORMAT": "3.0",
                "VERSION": "3.0",
                "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd",
            },
        )
        header = ET.SubElement(root, "HEADER", {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
        ET.SubElement(header, "MEDIA_DESCRIPTOR", _media_descriptor(video.path, eaf_path))
        count = sum(len(r) for r in tiers.values())
        ET.SubElement(header, "PROPERTY", {"NAME": "lastUsedAnnotationId"}).text = str(count)
        times = sorted({_ms(t) for rs in tiers.values() for r in rs for t in (r.start, r.end)})
        slot_ids = {ms: f"ts{i}" for i, ms in enumerate(times, start=1)}
        order = ET.SubElement(root, "TIME_ORDER")
        for ms, slot in slot_ids.items():
            ET.SubElement(order, "TIME_SLOT", {"TIME_SLOT_ID": slot, "TIME_VALUE": str(ms)})
        number = 0
        for tier_id, tier_runs in tiers.items():
            tier = ET.SubElement(
                root, "TIER", {"LINGUISTIC_TYPE_REF": LINGUISTIC_TYPE, "TIER_ID": tier_id}
            )
            if tier_id == MODEL_TIER and video.model:
                tier.set("ANNOTATOR", video.model)
            for run in tier_runs:
                number += 1
                aligned = ET.SubElement(
                    ET.SubElement(tier, "ANNOTATION"),
                    "ALIGNABLE_ANNOTATION",
                    {
                        "ANNOTATION_ID": f"a{number}",
                        "TIME_SLOT_REF1": slot_ids[_ms(run.start)],
                        "TIME_SLOT_REF2": slot_ids[_ms(run.end)],
                    },
                )
                ET.SubElement(aligned, "ANNOTATION_VALUE").text = run.label
        ET.SubElement(
            root,
            "LINGUISTIC_TYPE",
            {
                "GRAPHIC_REFERENCES": "false",
                "LINGUISTIC_TYPE_ID": LINGUISTIC_TYPE,
                "TIME_ALIGNABLE": "true",
            },
        )
        for stereotype, description in _CONSTRAINTS.items():
            ET.SubElement(
                root, "CONSTRAINT", {"DESCRIPTION": description, "STEREOTYPE": stereotype}
            )
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _media_descriptor(video: Path, eaf_path: Path) -> dict:
    absolute = Path(video).resolve()
    mime = mimetypes.guess_type(absolute.name)[0] or "unknown"
    descriptor = {"MEDIA_URL": absolute.as_uri(), "MIME_TYPE": mime}
    relative = video_path_relative_to(absolute, eaf_path)
    if not Path(relative).is_absolute():
        descriptor["RELATIVE_MEDIA_URL"] = (
            relative if relative.startswith("../") else f"./{relative}"
        )
    return descriptor


def _media_references(header) -> tuple[str, list[str]]:
    """The video the document is about: its relative URL first, then the absolute one."""
    if header is None:
        return "", []
    urls = []
    for descriptor in header.findall("MEDIA_DESCRIPTOR"):
        for key in ("RELATIVE_MEDIA_URL", "MEDIA_URL"):
            if descriptor.get(key):
                urls.append(descriptor.get(key))
    if not urls and header.get("MEDIA_FILE"):
        urls.append(header.get("MEDIA_FILE"))
    return (urls[0], urls[1:]) if urls else ("", [])
