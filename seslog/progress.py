"""Progress of long work on stderr, drawn by rich, and only when stderr is a terminal.

rich redraws one live line in place (a spinner and the text, a bar once the total is known),
takes care of the terminal's width and of clearing the line when done, and is already how the
tables would be drawn by most Python tools a reader knows. In pipes, logs and CI nothing is
written, so stderr there holds only messages.
"""

from __future__ import annotations

from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO):
        self._stream = stream
        self._enabled = stream.isatty()
        self._live = None
        self._task = None

    def update(self, text: str, completed: float | None = None, total: float | None = None) -> None:
        """Show ``text``; with ``total``, a bar at ``completed`` of it."""
        if not self._enabled:
            return
        from rich.markup import escape

        if self._live is None:
            self._start()
        self._live.update(self._task, description=escape(text), completed=completed or 0, total=total, refresh=True)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Live

        console = Console(file=self._stream, highlight=False)
        self._live = Live(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._live.start()
        self._task = self._live.add_task("", total=None)

    def clear(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
