"""The optional parts of seslog (the `local`, `web` and `mcp` extras), and the one line that says how to get each."""

from __future__ import annotations

from seslog.errors import SeslogError

INSTALL = {
    "local": "pip install '.[local]' in a clone of the repository (with pipx: pipx install --force '.[local]')",
    "web": "pip install '.[web]' in a clone of the repository (with pipx: pipx install --force '.[local,web]')",
    "mcp": "pip install '.[mcp]' in a clone of the repository (with pipx: pipx install --force '.[local,mcp]')",
}
"""What to run for each extra, as the error says it."""


def missing_extra(feature: str, error: ImportError, extra: str = "local") -> SeslogError:
    """The error for ``feature`` (``--local``, ``serve`` ...) run without the packages of its ``extra``."""
    return SeslogError(f"{feature} needs seslog's {extra} extra ({error.name or error} is not installed): {INSTALL[extra]}")
