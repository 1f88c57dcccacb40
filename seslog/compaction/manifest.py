"""The manifest: which arrival units are compacted, from which objects, into which files.

``compact/manifest.json`` is the one source of what the compacted tables hold. A reader takes the files it names and
nothing else under ``compact/`` (a file being written, or one a switch left behind, is never read), and the objects
it does not name from the raw table. It is replaced whole after the files it names are written, so a reader and an
interrupted run see either the previous state or the new one.

- ``units``: per arrival unit, an hour (``2024-05-03T14``) or a day (``2024-05-03``, a local copy's unit, or the
  stack's hours of a day merged into one file per send day and bucket), the objects compacted (keys under
  ``events/``), the generation of its files, their rows and their keys.
- ``through``: every object that arrived before this time, of the days a run listed, is compacted; a reader lists
  the objects from its day on to find those not compacted yet.
- ``retired``: files no unit names any more, with when they left: deleted once no query that read the previous
  manifest can still be reading them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from seslog.eventlog.prefixes import COMPACT_PREFIX, arrival_time

MANIFEST = COMPACT_PREFIX + "manifest.json"

UNITS = {"hour": ("%Y-%m-%dT%H", timedelta(hours=1)), "day": ("%Y-%m-%d", timedelta(days=1))}
"""What a run compacts from the objects at once: an arrival hour (the stack's hourly job) or an arrival day (a local
copy, fetched by the day)."""

VERSION = 1

LOOKBACK_DAYS = 3
"""Arrival days the stack's job lists each run: Firehose keeps data 24 h while S3 is failing, so an object can be
written a day and a buffer interval after the arrival its name says; three days hold every such object."""


class ManifestError(ValueError):
    """A manifest seslog did not write, or a damaged one."""


def unit_of(at: datetime, unit: str) -> str:
    """The name of the arrival hour (``2024-05-03T14``) or day (``2024-05-03``) ``at`` falls in."""
    return at.astimezone(UTC).strftime(UNITS[unit][0])


def kind_of(name: str) -> str:
    """Whether a unit's name is an hour's or a day's."""
    return "hour" if "T" in name else "day"


def unit_start(name: str) -> datetime:
    return datetime.strptime(name, UNITS[kind_of(name)][0]).replace(tzinfo=UTC)


def unit_end(name: str) -> datetime:
    return unit_start(name) + UNITS[kind_of(name)][1]


def unit_day(name: str) -> date:
    return date.fromisoformat(name[:10])


@dataclass
class Unit:
    objects: list[str] | None
    """The keys (under ``events/``) compacted, sorted; None once sealed: every object of the unit's arrival time is
    compacted (a run lists no object of that day any more)."""
    generation: str
    rows: int
    files: list[str]
    """The keys of the unit's compacted files, sorted."""

    def to_json(self) -> dict[str, Any]:
        return {"objects": self.objects, "generation": self.generation, "rows": self.rows, "files": self.files}


@dataclass
class Manifest:
    unit: str
    """The unit a run compacts from the objects: ``hour`` or ``day``."""
    units: dict[str, Unit] = field(default_factory=dict)
    through: str | None = None
    """ISO time: every object that arrived before it, of the days the last run listed, is compacted."""
    retired: dict[str, str] = field(default_factory=dict)
    """File key: ISO time it left the manifest."""
    _object_sets: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def empty(cls, unit: str) -> Manifest:
        if unit not in UNITS:
            raise ValueError(f"unit {unit!r} is none of {', '.join(UNITS)}")
        return cls(unit)

    @classmethod
    def parse(cls, data: bytes, where: str) -> Manifest:
        try:
            raw = json.loads(data)
            if raw.get("version") != VERSION or raw["unit"] not in UNITS or not isinstance(raw["units"], dict):
                raise TypeError
            units = {
                name: Unit(
                    None if e["objects"] is None else list(e["objects"]), str(e["generation"]), int(e["rows"]), list(e["files"])
                )
                for name, e in raw["units"].items()
            }
            return cls(raw["unit"], units, raw.get("through"), dict(raw.get("retired") or {}))
        except (ValueError, AttributeError, KeyError, TypeError):
            raise ManifestError(f"{where} is not a manifest seslog wrote") from None

    def to_bytes(self) -> bytes:
        data = {
            "version": VERSION,
            "unit": self.unit,
            "units": {name: self.units[name].to_json() for name in sorted(self.units)},
            "through": self.through,
            "retired": dict(sorted(self.retired.items())),
        }
        return (json.dumps(data) + "\n").encode()

    def files(self) -> set[str]:
        return {f for u in self.units.values() for f in u.files}

    def compacted(self, key: str) -> bool:
        """Whether the event object ``key`` (under ``events/``) is compacted: its arrival unit, or the day holding
        it, is in the manifest, sealed or naming it."""
        at = arrival_time(PurePosixPath(key))
        if at is None:
            return False
        for name in (unit_of(at, "hour"), unit_of(at, "day")):
            entry = self.units.get(name)
            if entry is not None:
                return entry.objects is None or key in self._object_sets.setdefault(name, frozenset(entry.objects))
        return False

    def seal(self, before: date) -> None:
        """Forget the object lists of the units before ``before``: no run lists those days any more, so every object
        of their arrival time is compacted, and the manifest stays small however long the bucket keeps objects."""
        for name, entry in self.units.items():
            if unit_day(name) < before and entry.objects is not None:
                entry.objects = None

    def replace(self, changes: dict[str, Unit | None], now: datetime) -> None:
        """Apply ``changes`` (None: the unit leaves); the files no unit names any more are retired as of ``now``."""
        before = self.files()
        for name, entry in changes.items():
            self._object_sets.pop(name, None)
            if entry is None:
                self.units.pop(name, None)
            else:
                self.units[name] = entry
        kept = self.files()
        for key in before - kept:
            self.retired.setdefault(key, now.isoformat())
