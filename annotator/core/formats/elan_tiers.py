"""Reading an ELAN document's tiers: which to read, and the times of every annotation in them.

Alignable annotations take their time slots' times (unaligned slots, as ELAN leaves inside time
subdivisions, are placed evenly between the aligned slots around them); reference annotations
(symbolic association, symbolic subdivision) take their parent's interval, the parts of one
parent sharing it evenly in their order. Empty annotations say nothing and are left out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as SafeET

from .base import HUMAN, MODEL, LabelFileError

HUMAN_TIER, MODEL_TIER = "human labels", "model labels"


class ElanTiers:
    def __init__(self, path: Path):
        self.path = Path(path)
        root = _parse_xml(self.path)
        self.header = root.find("HEADER")
        units = (
            self.header.get("TIME_UNITS", "milliseconds")
            if self.header is not None
            else "milliseconds"
        )
        if units != "milliseconds":
            raise LabelFileError(
                f"{path}: <HEADER TIME_UNITS={units!r}>: only milliseconds are supported"
            )
        self.tier_list = root.findall("TIER")
        self.slots = self._slot_times(root)
        self._times: dict[str, tuple[float, float]] = {}
        self._by_id = {}
        self._children: dict[str, list[str]] = {}
        for tier in self.tier_list:
            for annotation in tier.iter():
                if annotation.tag in ("ALIGNABLE_ANNOTATION", "REF_ANNOTATION"):
                    ident = annotation.get("ANNOTATION_ID", "?")
                    self._by_id[ident] = (annotation, tier.get("TIER_ID"))
                    if annotation.tag == "REF_ANNOTATION":
                        parent = annotation.get("ANNOTATION_REF")
                        self._children.setdefault(f"{tier.get('TIER_ID')}|{parent}", []).append(
                            ident
                        )

    # ---- which tiers ----------------------------------------------------------------------

    def counts(self) -> list[tuple[str, int]]:
        return [(t.get("TIER_ID", "?"), _count(t)) for t in self.tier_list]

    def _listing(self) -> str:
        return ", ".join(f"{name!r} ({n})" for name, n in self.counts()) or "none"

    def chosen(self, names: tuple[str, ...], notes: list[str]):
        """[(tier element, source)] to read; LabelFileError when a named or the only candidate
        tier has no annotations."""
        by_name = {t.get("TIER_ID"): t for t in self.tier_list}
        if names:
            missing = [n for n in names if n not in by_name]
            if missing:
                raise LabelFileError(
                    f"{self.path}: no tier {missing[0]!r}; its tiers (annotations): "
                    f"{self._listing()}"
                )
            chosen = [(by_name[n], HUMAN) for n in dict.fromkeys(names)]
        else:
            chosen = [
                (t, HUMAN if t.get("TIER_ID") == HUMAN_TIER else MODEL)
                for t in self.tier_list
                if t.get("TIER_ID") in (HUMAN_TIER, MODEL_TIER)
            ]
            if not chosen:
                aligned = [
                    t for t in self.tier_list
                    if t.find("ANNOTATION/ALIGNABLE_ANNOTATION") is not None and _count(t)
                ]  # fmt: skip
                chosen = [(aligned[0], HUMAN)] if aligned else []
        ours = (
            not names
            and bool(chosen)
            and all(t.get("TIER_ID") in (HUMAN_TIER, MODEL_TIER) for t, _ in chosen)
        )
        if not ours and not any(_count(t) for t, _ in chosen):
            what = (
                f"tier(s) {', '.join(repr(t.get('TIER_ID')) for t, _ in chosen)} hold no "
                "annotations"
                if chosen
                else "no tier holds time-aligned annotations"
            )
            raise LabelFileError(
                f"{self.path}: {what}: nothing to import "
                f"(tiers and their annotations: {self._listing()})"
            )
        taken = {id(t) for t, _ in chosen}
        others = [(t.get("TIER_ID", "?"), _count(t)) for t in self.tier_list if id(t) not in taken]
        if others:
            notes.append(
                f"{self.path.name}: read tier(s) "
                f"{', '.join(repr(t.get('TIER_ID')) for t, _ in chosen)}; not read: "
                + ", ".join(f"{name!r} ({n} annotations)" for name, n in others)
                + " (choose with --tier)"
            )
        return chosen

    # ---- times ----------------------------------------------------------------------------

    def annotations(self, tier):
        """(id, label, start, end) of each annotation with a value in `tier`."""
        for annotation in tier.iter():
            if annotation.tag not in ("ALIGNABLE_ANNOTATION", "REF_ANNOTATION"):
                continue
            value = annotation.find("ANNOTATION_VALUE")
            label = (value.text or "").strip() if value is not None else ""
            if not label:
                continue  # ELAN allows empty annotations; they say nothing about a second
            ident = annotation.get("ANNOTATION_ID", "?")
            start, end = self.times(ident, tier.get("TIER_ID"))
            yield ident, label, start, end

    def times(self, ident: str, tier_id: str, depth: int = 0) -> tuple[float, float]:
        if ident in self._times:
            return self._times[ident]
        where = f"tier {tier_id!r}, annotation {ident}"
        if ident not in self._by_id:
            raise LabelFileError(f"{self.path}: {where}: refers to no annotation")
        if depth > 50:
            raise LabelFileError(f"{self.path}: {where}: references go round in a circle")
        annotation, tier_id = self._by_id[ident]
        if annotation.tag == "ALIGNABLE_ANNOTATION":
            found = tuple(
                self._slot(annotation, ref, where) for ref in ("TIME_SLOT_REF1", "TIME_SLOT_REF2")
            )
        else:
            parent = annotation.get("ANNOTATION_REF")
            start, end = (
                self.times(parent, tier_id, depth + 1)
                if parent in self._by_id
                else (self._missing_parent(where, parent))
            )
            parts = self._children.get(f"{tier_id}|{parent}", [ident])
            share = (end - start) / len(parts)
            index = parts.index(ident)
            found = (start + share * index, start + share * (index + 1))
        self._times[ident] = found
        return found

    def _missing_parent(self, where: str, parent):
        raise LabelFileError(f"{self.path}: {where}: ANNOTATION_REF={parent!r} is no annotation")

    def _slot(self, annotation, ref: str, where: str) -> float:
        slot = annotation.get(ref)
        if slot not in self.slots:
            raise LabelFileError(f"{self.path}: {where}: {ref}={slot!r} is not a TIME_SLOT")
        if self.slots[slot] is None:
            raise LabelFileError(
                f"{self.path}: {where}: time slot {slot} has no time and no aligned slot after it"
            )
        return self.slots[slot]

    def _slot_times(self, root) -> dict[str, float | None]:
        """Slot id -> seconds; unaligned slots placed evenly between their aligned neighbours
        (in TIME_ORDER's order, which is time order)."""
        order = []
        for slot in root.iter("TIME_SLOT"):
            value = slot.get("TIME_VALUE")
            ident = slot.get("TIME_SLOT_ID")
            if value in (None, ""):
                order.append([ident, None])
                continue
            try:
                order.append([ident, int(value) / 1000.0])
            except (ValueError, OverflowError):
                raise LabelFileError(
                    f"{self.path}: time slot {ident} has TIME_VALUE {value!r}, not whole "
                    "milliseconds"
                ) from None
        previous = None
        gap: list[list] = []
        for entry in order:
            if entry[1] is None:
                gap.append(entry)
                continue
            if previous is not None and gap:
                step = (entry[1] - previous) / (len(gap) + 1)
                for k, missing in enumerate(gap, start=1):
                    missing[1] = previous + step * k
            gap, previous = [], entry[1]
        return {ident: value for ident, value in order}


def _count(tier) -> int:
    return sum(
        1
        for a in tier.iter()
        if a.tag in ("ALIGNABLE_ANNOTATION", "REF_ANNOTATION")
        and (
            a.find("ANNOTATION_VALUE") is not None
            and (a.find("ANNOTATION_VALUE").text or "").strip()
        )
    )


def _parse_xml(path: Path):
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabelFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise LabelFileError(f"{path}: empty file: no labels to import")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as exc:
        raise LabelFileError(
            f"{path}: refused: the XML declares a document type "
            f"({exc.name or 'DTD'}), where entities can hide; ELAN files never "
            "do, and none was expanded"
        ) from exc
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise LabelFileError(
            f"{path}: refused: the XML declares entities ({exc}); none was expanded"
        ) from exc
    except ET.ParseError as exc:
        line, column = exc.position
        raise LabelFileError(
            f"{path}: line {line}, column {column + 1}: malformed XML ({str(exc).split(':')[0]})"
        ) from exc
    except (LookupError, UnicodeError) as exc:  # an encoding="..." Python does not know
        raise LabelFileError(
            f"{path}: its XML declaration names an unreadable encoding ({exc})"
        ) from exc
    if root.tag != "ANNOTATION_DOCUMENT":
        raise LabelFileError(
            f"{path}: root element <{root.tag}>: not an ELAN document "
            "(expected <ANNOTATION_DOCUMENT>)"
        )
    return root
