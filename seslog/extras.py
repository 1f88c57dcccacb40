"""The optional part of seslog: what the `local` extra brings, and the one line that says how to get it."""

from __future__ import annotations

from seslog.errors import SeslogError

INSTALL_LOCAL = "pip install '.[local]' in a clone of the repository (with pipx: pipx install --force '.[local]')"


def missing_local_extra(feature: str, error: ImportError) -> SeslogError:
    """The error for ``feature`` (``--local``, ``demo-data`` ...) run without DuckDB or pyarrow installed."""
    return SeslogError(f"{feature} needs seslog's local extra ({error.name or error} is not installed): {INSTALL_LOCAL}")
