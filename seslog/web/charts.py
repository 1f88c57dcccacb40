"""The overview's charts as inline SVG, drawn here from the `stats` document: nothing loaded from elsewhere.

Two charts: events per day, stacked by type; and each day's bounce and complaint rates against
the rates at which SES reviews an account. The numbers come from the document only, and every
text in the SVG goes through the template's escaping like the rest of the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seslog.eventlog.events import EVENT_TYPES
from seslog.eventlog.reputation import BOUNCE_REVIEW_RATE, COMPLAINT_REVIEW_RATE

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 48, 28, 12
COLOURS = ("#4e79a7", "#e15759", "#f28e2b", "#b07aa1", "#59a14f", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac")
"""One per event type, in the order of ``seslog.eventlog.events`` (a colour-blind-safe palette)."""
TYPE_COLOURS = {e.record_name: c for e, c in zip(EVENT_TYPES, COLOURS)}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    lines: list[dict[str, Any]]
    """Polylines: ``points`` (an SVG points string), ``colour``, ``label``, ``dashed``."""
    x_labels: list[tuple[float, str]]
    y_labels: list[tuple[float, str]]
    legend: list[tuple[str, str, str]]
    """(colour, label, mark): the mark its swatch draws, ``bar`` (a square), ``line`` or ``dashed`` (a line sample
    drawn like the series, so that the rates at which SES reviews an account stand apart from the rates)."""


def _x(index: int, days: int) -> tuple[float, float]:
    slot = (WIDTH - LEFT) / max(days, 1)
    return LEFT + index * slot + slot * 0.15, slot * 0.7


def _y(value: float, top: float) -> float:
    return HEIGHT - BOTTOM - (value / top) * (HEIGHT - BOTTOM - TOP) if top else HEIGHT - BOTTOM


def _ticks(top: float, as_text: Any) -> list[tuple[float, str]]:
    return [(_y(top * n / 4, top), as_text(top * n / 4)) for n in range(5)]


def _day_labels(days: Sequence[str]) -> list[tuple[float, str]]:
    every = max(1, len(days) // 8)
    return [(_x(i, len(days))[0] + _x(i, len(days))[1] / 2, day[5:]) for i, day in enumerate(days) if i % every == 0]


def events_per_day(document: Mapping[str, Any]) -> Chart:
    days = [d["day"] for d in document["days"]]
    types = [t for t in TYPE_COLOURS if document["totals"].get(t)]
    top = max((sum(d["events"].values()) for d in document["days"]), default=0) or 1
    bars = []
    for index, day in enumerate(document["days"]):
        x, width = _x(index, len(days))
        base = 0
        for event_type in types:
            count = day["events"].get(event_type, 0)
            if count:
                bars.append(
                    Bar(
                        x,
                        _y(base + count, top),
                        width,
                        _y(base, top) - _y(base + count, top),
                        TYPE_COLOURS[event_type],
                        f"{day['day']}: {count:,} {event_type}",
                    )
                )
                base += count
    return Chart(
        WIDTH,
        HEIGHT,
        bars,
        [],
        _day_labels(days),
        _ticks(top, lambda v: f"{v:,.0f}"),
        [(TYPE_COLOURS[t], t, "bar") for t in types],
    )


def rates_per_day(document: Mapping[str, Any]) -> Chart:
    days = [d["day"] for d in document["days"]]

    def rate(day: Mapping[str, Any], event_type: str) -> float | None:
        sends = day["events"].get("Send", 0)
        return day["events"].get(event_type, 0) / sends if sends else None

    series = [("Bounce", "#e15759", BOUNCE_REVIEW_RATE), ("Complaint", "#b07aa1", COMPLAINT_REVIEW_RATE)]
    observed = [r for day in document["days"] for name, _, _ in series if (r := rate(day, name)) is not None]
    top = max([*observed, BOUNCE_REVIEW_RATE]) * 1.2
    lines = []
    for name, colour, review in series:
        points = [
            f"{_x(i, len(days))[0] + _x(i, len(days))[1] / 2:.1f},{_y(r, top):.1f}"
            for i, day in enumerate(document["days"])
            if (r := rate(day, name)) is not None
        ]
        lines.append({"points": " ".join(points), "colour": colour, "label": f"{name.lower()} rate", "dashed": False})
        lines.append(
            {
                "points": f"{LEFT},{_y(review, top):.1f} {WIDTH},{_y(review, top):.1f}",
                "colour": colour,
                "label": f"SES reviews at {review:.1%}",
                "dashed": True,
            }
        )
    legend = [(line["colour"], line["label"], "dashed" if line["dashed"] else "line") for line in lines]
    return Chart(WIDTH, HEIGHT, [], lines, _day_labels(days), _ticks(top, lambda v: f"{v:.1%}"), legend)
