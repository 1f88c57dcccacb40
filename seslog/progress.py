"""A one-line progress indicator, shown only when stderr is a terminal (never in pipes or logs)."""

from __future__ import annotations

from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO):
        self._stream = stream
        self._enabled = stream.isatty()
        self._width = 0

    def update(self, text: str) -> None:
        if not self._enabled:
            return
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)

    def clear(self) -> None:
        if self._enabled and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0
