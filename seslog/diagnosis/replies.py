"""A receiving server's reply as SES records it, taken apart: the SMTP reply code, the enhanced
status code, the words, and the reply SES wraps inside its own.

SES records a recipient's ``diagnosticCode`` as the DSN field does (RFC 3464): a type, then the
reply, ``smtp; 550 5.1.1 <taro@example.jp>: User unknown``. A multi-line reply comes joined, each
line keeping its ``550-5.7.26`` prefix. When SES gives up retrying it writes its own reply and
puts the receiving side's last one inside angle brackets:
``554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TYPE = re.compile(r"^\s*(?:smtp|x-[\w.-]+)\s*;\s*", re.IGNORECASE)
_CODE = re.compile(r"^([245]\d\d)(?:[ -]|$)")
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_EXPIRED = re.compile(r"message expired\b.*?<(?P<inner>[^<>]+)>\s*\.?\s*$", re.IGNORECASE | re.DOTALL)
_ADDRESS = re.compile(r"<?[^\s<>@;:,]+@[^\s<>@;:,]+\.[a-z]{2,}>?", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    raw: str
    """The diagnostic code as SES recorded it."""
    code: str | None
    """The SMTP reply code (``550``), when the reply starts with one."""
    status: str | None
    """The enhanced status code (``5.7.26``, RFC 3463) the reply carries, else the DSN's status field."""
    text: str
    """The reply without its type, codes and continuation prefixes: what the server said in words."""
    inner: Reply | None = None
    """The receiving side's reply that SES quotes inside its own (an expiry), when there is one."""
    status_said: bool = True
    """Whether the status is in the reply itself, rather than taken from the DSN's status field."""

    @property
    def quoted(self) -> str:
        """The reply as a person reads it: its codes once (not on each line of a multi-line reply) and its words,
        without a full stop of its own (the sentence quoting it adds one)."""
        status = self.status if self.code and self.status_said else None
        return " ".join(filter(None, (self.code, status, self.text))).rstrip(" .")

    @property
    def permanent(self) -> bool | None:
        """Whether the reply says the failure is permanent (5xx), transient (4xx) or does not say."""
        first = (self.code or self.status or "")[:1]
        return {"5": True, "4": False}.get(first)

    @property
    def names_address(self) -> bool:
        """Whether the words name an email address (some carriers name it only when the mailbox does not exist)."""
        return _ADDRESS.search(self.text) is not None

    @property
    def receiving_side(self) -> Reply:
        """What the receiving side itself last said: the quoted reply inside SES's own, else this one."""
        return self.inner or self


def parse(diagnostic: str | None, dsn_status: str | None = None) -> Reply:
    """The reply in ``diagnostic`` (a ``diagnosticCode``); ``dsn_status`` is the recipient's ``status`` field,
    used when the reply carries no enhanced status code of its own."""
    raw = " ".join((diagnostic or "").split())
    body = _TYPE.sub("", raw)
    inner = None
    expired = _EXPIRED.search(body)
    if expired:
        inner = parse(expired.group("inner"))
        body = body[: expired.start("inner") - 1].rstrip()
    code_match = _CODE.match(body)
    code = code_match.group(1) if code_match else None
    status_match = _STATUS.search(body[:40])  # the status follows the code, not a number deep in the words
    status = ".".join(status_match.groups()) if status_match else _checked_status(dsn_status)
    text = body
    if code:
        # Each line of a multi-line reply starts "550-5.7.26 " (the last "550 5.7.26 "): keep the words only.
        text = re.sub(rf"(?:^|\s){code}[ -](?:{re.escape(status)}\s+)?" if status else rf"(?:^|\s){code}[ -]", " ", text)
    elif status_match:
        text = text.replace(status_match.group(0), " ", 1)
    return Reply(raw, code, status, " ".join(text.split()), inner, status_match is not None)


def _checked_status(value: str | None) -> str | None:
    match = _STATUS.fullmatch((value or "").strip())
    return ".".join(match.groups()) if match else None
