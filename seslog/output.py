"""Plain-text tables, paragraphs and sizes for people reading a terminal.

Text from an email is shown with its control characters written out (``visible``). On a terminal,
output fits its width (``COLUMNS``, else the terminal's, as rich and the standard
library find it): a table's long text columns are cut with an ellipsis, and a table that cannot
fit even so is printed one record at a time. Piped output, and ``--wide``, is never cut.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

KIB = 1024


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: East Asian wide characters (Japanese subjects) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_UNSEEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Characters that act rather than show: C0 and C1 controls (ESC, a bare CR ...; not tab and newline, which are
whitespace) and the bidirectional marks, embeddings, overrides and isolates."""


def visible(text: str) -> str:
    """``text`` with every character that acts rather than shows written out (``\\x1b``, ``\\u202e``): text from an
    email (a subject, a server's reply) then cannot clear a screen, retitle a window, forge a line or reorder the
    text around it."""
    return _UNSEEN.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


ELLIPSIS = "…"
MIN_CUT = 10
"""A column is cut to no fewer characters than this; past that the table goes one record at a time."""
PARAGRAPH_WIDTH = 100
"""Where paragraphs wrap when the output is not a terminal (wrapping drops nothing)."""


def terminal_width(stream: TextIO) -> int | None:
    """The width to fit output to: the terminal's, or None (no limit) when ``stream`` is not a terminal."""
    isatty = getattr(stream, "isatty", None)
    return shutil.get_terminal_size().columns if isatty and isatty() else None


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` columns, an ellipsis marking what was left out."""
    text = visible(text)
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        columns = display_width(char)
        if used + columns > width - 1:
            break
        kept.append(char)
        used += columns
    return "".join(kept) + ELLIPSIS


def wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    """``text`` as lines of at most ``width`` columns, the first starting with ``indent`` and the others
    with ``hanging`` (default ``indent``); words longer than a line are split, never dropped."""
    hanging = indent if hanging is None else hanging
    text = visible(text)
    room = max(width - max(display_width(indent), display_width(hanging)), 10)
    lines: list[str] = []
    line = ""
    for word in text.split():
        while display_width(word) > room:
            head = cut(word, room + 1)[:-1]
            if line:
                lines.append(line)
                line = ""
            lines.append(head)
            word = word[len(head) :]
        candidate = f"{line} {word}" if line else word
        if display_width(candidate) > room:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return [(hanging if number else indent) + line for number, line in enumerate(lines)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(visible(str(value)).split())


def print_table(
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    out: TextIO,
    right: Sequence[str] = (),
    width: int | None = None,
    shrink: Sequence[str] = (),
) -> None:
    """Rows as aligned columns under an upper-case header; ``right`` columns (numbers) align right.

    With ``width``, the ``shrink`` columns are cut (widest first, to ``MIN_CUT`` at least) until the
    table fits; if it still does not, each row is printed as a record of ``COLUMN  value`` lines."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    header = [c.upper() for c in columns]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells]) for i, h in enumerate(header)]
    if width is not None:
        shrinkable = [i for i, c in enumerate(columns) if c in shrink]
        while sum(widths) + 2 * (len(widths) - 1) > width:
            widest = max(shrinkable, key=lambda i: widths[i], default=None)
            if widest is None or widths[widest] <= max(MIN_CUT, display_width(header[widest])):
                _print_records(header, cells, out, width)
                return
            widths[widest] -= 1
    for line in [header, *cells]:
        padded = []
        for column, text, size in zip(columns, line, widths):
            text = cut(text, size)
            fill = " " * (size - display_width(text))
            padded.append(fill + text if column in right else text + fill)
        out.write("  ".join(padded).rstrip() + "\n")


def _print_records(header: Sequence[str], cells: Sequence[Sequence[str]], out: TextIO, width: int) -> None:
    label = max(map(display_width, header))
    for number, row in enumerate(cells):
        if number:
            out.write("\n")
        out.writelines(
            f"{name.ljust(label)}  {cut(text, max(width - label - 2, 1))}".rstrip() + "\n" for name, text in zip(header, row)
        )


def format_bytes(size: float) -> str:
    """Binary units, as AWS bills them: 1 KiB = 1024 bytes."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < KIB or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= KIB
    raise AssertionError("unreachable")
