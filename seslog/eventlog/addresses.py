"""Email addresses as the pipeline's settings and seslog's lookups take them."""

from __future__ import annotations

import re

EMAIL_ADDRESS = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")

_LABEL = re.compile(r"\+[^@]*(?=@)")


def without_label(address: str) -> str:
    """``taro+news@example.jp`` without its plus-label, lower case: ``taro@example.jp``.

    Most providers deliver ``name+anything@`` to ``name@``, so the same person can appear in the
    log under either form."""
    return _LABEL.sub("", address.lower(), count=1)
