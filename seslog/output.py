"""Plain-text tables and sizes for people reading a terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

KIB = 1024


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: East Asian wide characters (Japanese subjects) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def print_table(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], out: TextIO, right: Sequence[str] = ()) -> None:
    """Rows as aligned columns under an upper-case header; ``right`` columns (numbers) align right."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    header = [c.upper() for c in columns]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells]) for i, h in enumerate(header)]
    for line in [header, *cells]:
        padded = []
        for column, text, width in zip(columns, line, widths):
            fill = " " * (width - display_width(text))
            padded.append(fill + text if column in right else text + fill)
        out.write("  ".join(padded).rstrip() + "\n")


def format_bytes(size: float) -> str:
    """Binary units, as AWS bills them: 1 KiB = 1024 bytes."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < KIB or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= KIB
    raise AssertionError("unreachable")
