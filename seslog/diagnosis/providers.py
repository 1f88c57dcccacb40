"""Which mail provider a recipient's mail goes to: from the address's domain, or, for a domain of the
organisation's own hosted at a provider (Google Workspace, Microsoft 365), from the provider's
signature in its reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    name: str
    domains: tuple[str, ...]
    """Its consumer domains; a subdomain of one counts too (``d.vodafone.ne.jp``)."""
    signature: re.Pattern[str] | None = None
    """What marks its replies, or its servers' names, whatever the domain: its hosts or its reference pages."""


PROVIDERS: tuple[Provider, ...] = (
    # Google's replies end with " - gsmtp" and point at support.google.com; its servers are *.google.com.
    Provider(
        "gmail", ("gmail.com", "googlemail.com"), re.compile(r"\bgsmtp\b|support\.google\.com|\.google\.com\b", re.IGNORECASE)
    ),
    # Exchange Online names its servers *.protection.outlook.com (Microsoft 365 and outlook.com alike).
    Provider(
        "microsoft",
        ("outlook.com", "hotmail.com", "hotmail.co.jp", "hotmail.co.uk", "live.com", "live.jp", "msn.com", "outlook.jp"),
        re.compile(
            r"protection\.outlook\.com|\boutlook\.com\b|sendersupport\.olc\.|sender\.office\.com|mail\.live\.com/mail/troubleshooting"
            r"|\bAS\(\d+\)",
            re.IGNORECASE,
        ),
    ),
    Provider(
        "yahoo",
        ("yahoo.com", "yahoo.co.uk", "ymail.com", "rocketmail.com", "aol.com", "aim.com"),
        re.compile(r"yahooinc\.com|yahoodns\.net|\byahoo\.com\b|\baol\.com\b", re.IGNORECASE),
    ),
    Provider(
        "apple", ("icloud.com", "me.com", "mac.com"), re.compile(r"support\.apple\.com|\bicloud\.com\b|HT204137", re.IGNORECASE)
    ),
    # Yahoo! JAPAN (yahoo.co.jp) is a provider of its own, not Yahoo's: only its domain names it here.
    Provider("docomo", ("docomo.ne.jp", "mopera.net")),
    Provider("au", ("ezweb.ne.jp", "au.com", "biz.ezweb.ne.jp", "biz.au.com")),
    Provider("softbank", ("softbank.ne.jp", "i.softbank.jp", "disney.ne.jp", "vodafone.ne.jp")),
)
BY_NAME = {p.name: p for p in PROVIDERS}


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").lower()


def _named(domain: str) -> Provider | None:
    return next((p for p in PROVIDERS if any(domain == d or domain.endswith("." + d) for d in p.domains)), None)


def mailbox_provider(recipient: str) -> tuple[str, tuple[str, ...]]:
    """Where the recipient's mailbox is, as far as its address tells: a named provider and all its domains (``gmail``,
    gmail.com and googlemail.com), else its own domain alone."""
    domain = domain_of(recipient)
    named = _named(domain)
    return (named.name, tuple(dict.fromkeys((domain, *named.domains)))) if named else (domain, (domain,))


def provider_of(recipient: str, reply_text: str = "") -> str:
    """The provider's name (``gmail``, ``docomo`` ...) for mail to ``recipient``, else the recipient's domain;
    ``reply_text``: the reply and the receiving server's name, where a provider's signature may be."""
    domain = domain_of(recipient)
    named = _named(domain)
    if named:
        return named.name
    for provider in PROVIDERS:
        if provider.signature and provider.signature.search(reply_text):
            return provider.name
    return domain or "unknown"
