"""The one table of rules that read a receiving server's reply: provider by provider, then SES's own
texts, the words any mail server uses, the enhanced status codes, and SES's bounce and delay types.

The first rule that matches decides. Each names where its meaning comes from: the provider's own
documentation, the standard, or the SES developer guide. A rule matches when every condition it
sets holds: the provider, the SMTP reply code, the enhanced status code, the words (a regular
expression, any case), whether the words name an address, the SES event, bounce or delay type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seslog.diagnosis.replies import Reply

if TYPE_CHECKING:
    from seslog.diagnosis.classify import Failure

GMAIL = "https://support.google.com/a/answer/3726730"
GMAIL_SENDERS = "https://support.google.com/mail/answer/81126"
MICROSOFT_NDR = (
    "https://learn.microsoft.com/en-us/troubleshoot/exchange/email-delivery/ndr/non-delivery-reports-in-exchange-online"
)
MICROSOFT_THROTTLING = "https://learn.microsoft.com/en-us/exchange/troubleshoot/email-delivery/ndr/fix-error-code-451-4-7-500-699-asxxx-in-exchange-online"
OUTLOOK_POSTMASTER = "https://sendersupport.olc.protection.outlook.com/pm/troubleshooting.aspx"
YAHOO = "https://senders.yahooinc.com/smtp-error-codes/"
APPLE = "https://support.apple.com/en-us/102322"
DOCOMO = "https://www.docomo.ne.jp/info/spam_mail/"
AU = "https://www.au.com/support/service/mobile/trouble/mail/email/filter/"
SOFTBANK = "https://www.softbank.jp/mobile/support/mail/antispam/"
SES_BOUNCES = "https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-firehose-contents.html"
SES_SUPPRESSION = "https://docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html"
IANA = "https://www.iana.org/assignments/smtp-enhanced-status-codes/smtp-enhanced-status-codes.xhtml"
RFC5321 = "RFC 5321 section 4.2.3 (reply codes)"


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    source: str
    """The documentation or standard the rule's meaning comes from."""
    provider: str | None = None
    code: str | None = None
    """A regular expression the SMTP reply code must match whole (``55[04]``)."""
    status: str | None = None
    """A regular expression the enhanced status code must match whole (``5\\.7\\.2[0-9]``)."""
    words: str | None = None
    """A regular expression searched for in the reply's words, any case."""
    names_address: bool | None = None
    event: str | None = None
    bounce_type: str | None = None
    subtype: str | None = None
    """SES's ``bounceSubType`` or ``delayType``."""
    actor: str | None = None
    """Who must act, when not the reason's usual actor."""
    verdict: str | None = None
    """A verdict text of its own under the reason's (``unconfirmed``: ``Bounce/filtered/unconfirmed``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_words", re.compile(self.words, re.IGNORECASE) if self.words else None)

    def matches(self, reply: Reply, provider: str, failure: Failure) -> bool:
        words: re.Pattern[str] | None = self._words  # type: ignore[attr-defined]
        return (
            (self.provider is None or self.provider == provider)
            and (self.code is None or re.fullmatch(self.code, reply.code or "") is not None)
            and (self.status is None or re.fullmatch(self.status, reply.status or "") is not None)
            and (words is None or words.search(reply.text) is not None)
            and (self.names_address is None or self.names_address == reply.names_address)
            and (self.event is None or self.event == failure.event_type)
            and (self.bounce_type is None or self.bounce_type == failure.bounce_type)
            and (self.subtype is None or self.subtype in (failure.bounce_subtype, failure.delay_type))
        )


def _status(detail: str, reason: str, meaning: str, **kwargs: str) -> Rule:
    """A rule of the IANA registry: any class (4 or 5), the subject.detail given."""
    return Rule(f"status-{detail}", reason, f"{IANA} (X.{detail} {meaning})", status=rf"[45]\.{re.escape(detail)}", **kwargs)


RULES: tuple[Rule, ...] = (
    # SES's own texts: it did not try, or it gave up.
    Rule(
        "ses-account-suppression-list",
        "suppressed",
        SES_SUPPRESSION,
        words=r"on the suppression list for your account",
        actor="ses-account",
        verdict="account",
    ),
    Rule(
        "ses-global-suppression-list",
        "suppressed",
        SES_SUPPRESSION,
        words=r"Amazon SES has suppressed sending to this address",
        actor="recipient",
        verdict="global",
    ),
    Rule("ses-message-expired", "expired", SES_BOUNCES, words=r"^message expired\b"),
    # Gmail and Google Workspace.
    # gcdp: a custom rule of the recipient's Workspace administrator ("Google Custom Domain Policies").
    Rule("gmail-custom-domain-policy", "policyviolation", GMAIL, provider="gmail", words=r"\bgcdp\b", actor="recipient"),
    Rule(
        "gmail-ip-not-allowed",
        "rejected",
        GMAIL,
        provider="gmail",
        words=r"IP not in whitelist for RCPT domain",
        actor="recipient",
    ),
    Rule(
        "gmail-tls-required", "securityerror", GMAIL, provider="gmail", words=r"TLS required for RCPT domain", actor="recipient"
    ),
    Rule("gmail-5.7.26-unauthenticated", "authfailure", GMAIL, provider="gmail", status=r"5\.7\.26"),
    Rule("gmail-5.7.27-spf", "authfailure", GMAIL, provider="gmail", status=r"5\.7\.27"),
    Rule("gmail-5.7.30-dkim", "authfailure", GMAIL, provider="gmail", status=r"5\.7\.30"),
    Rule("gmail-5.7.32-dmarc-alignment", "authfailure", GMAIL, provider="gmail", status=r"[45]\.7\.(?:32|40)"),
    Rule(
        "gmail-unauthenticated",
        "authfailure",
        GMAIL_SENDERS,
        provider="gmail",
        words=r"\bDMARC\b|unauthenticated|authentication (?:information|checks)",
    ),
    Rule("gmail-4.7.27-spf-temporary", "authfailure", GMAIL, provider="gmail", status=r"4\.7\.(?:2[3-7]|30)"),
    Rule("gmail-5.7.25-ptr", "requireptr", GMAIL, provider="gmail", status=r"[45]\.7\.25"),
    Rule("gmail-5.1.1-no-account", "userunknown", GMAIL, provider="gmail", status=r"5\.1\.1"),
    Rule("gmail-5.2.1-disabled", "suspend", GMAIL, provider="gmail", status=r"[45]\.2\.1", words=r"disabled|inactive"),
    # 5.2.1 is also Google's permanent form of "receiving mail at a rate": the words decide, not the code.
    Rule("gmail-receiving-rate", "speeding", GMAIL, provider="gmail", words=r"receiving mail (?:at a rate|too quickly)"),
    Rule("gmail-quota", "mailboxfull", GMAIL, provider="gmail", status=r"[45]\.2\.2"),
    Rule("gmail-5.3.4-size", "mesgtoobig", GMAIL, provider="gmail", status=r"5\.3\.4|5\.2\.3"),
    Rule("gmail-security-issue", "securityerror", GMAIL, provider="gmail", status=r"5\.7\.0", words=r"security issue"),
    Rule("gmail-rfc5322", "notcompliantrfc", GMAIL, provider="gmail", words=r"RFC ?5322|not RFC 5322 compliant|From: header"),
    Rule(
        "gmail-low-reputation",
        "badreputation",
        GMAIL,
        provider="gmail",
        words=r"low reputation|unusual rate of unsolicited",
    ),
    Rule(
        "gmail-unsolicited",
        "spamdetected",
        GMAIL_SENDERS,
        provider="gmail",
        words=r"likely unsolicited mail|nature of the content|\bspam\b",
    ),
    # Microsoft: outlook.com and Microsoft 365 (Exchange Online).
    Rule(
        "microsoft-s3150-block-list", "blocked", OUTLOOK_POSTMASTER, provider="microsoft", words=r"\bS3(?:1[0-9]{2})\b|block list"
    ),
    Rule("microsoft-5.7.509-dmarc", "authfailure", MICROSOFT_NDR, provider="microsoft", status=r"5\.7\.509"),
    Rule("microsoft-5.7.515-auth-level", "authfailure", MICROSOFT_NDR, provider="microsoft", status=r"5\.7\.515"),
    Rule("microsoft-banned-ip", "blocked", MICROSOFT_NDR, provider="microsoft", status=r"5\.7\.(?:6[0-4][0-9]|708)"),
    Rule("microsoft-ip-reputation", "badreputation", MICROSOFT_NDR, provider="microsoft", status=r"4\.7\.65[01]"),
    Rule("microsoft-banned-sender", "blocked", MICROSOFT_NDR, provider="microsoft", status=r"5\.7\.511"),
    # 5.7.520 is the recipient's own organisation refusing to forward mail outside it, not spam.
    Rule(
        "microsoft-external-forwarding",
        "policyviolation",
        MICROSOFT_NDR,
        provider="microsoft",
        status=r"5\.7\.520",
        words=r"external forwarding",
        actor="recipient",
    ),
    Rule(
        "microsoft-internal-senders-only",
        "rejected",
        MICROSOFT_NDR,
        provider="microsoft",
        status=r"5\.7\.1(?:2|2[0-9]|3[0-9])",
        actor="recipient",
    ),
    Rule("microsoft-throttled", "speeding", MICROSOFT_THROTTLING, provider="microsoft", status=r"4\.7\.[56][0-9]{2}"),
    Rule("microsoft-recipient-not-found", "userunknown", MICROSOFT_NDR, provider="microsoft", status=r"5\.1\.(?:1|10)"),
    Rule(
        "microsoft-5.4.1-edge-blocking",
        "userunknown",
        MICROSOFT_NDR,
        provider="microsoft",
        status=r"5\.4\.1",
        words=r"Recipient address rejected: Access denied",
    ),
    Rule("microsoft-mailbox-full", "mailboxfull", MICROSOFT_NDR, provider="microsoft", status=r"[45]\.2\.2"),
    Rule("microsoft-size", "mesgtoobig", MICROSOFT_NDR, provider="microsoft", status=r"5\.(?:2\.3|3\.4)"),
    Rule("microsoft-not-authorized", "policyviolation", MICROSOFT_NDR, provider="microsoft", words=r"Delivery not authorized"),
    # Yahoo and AOL.
    # 5.7.9 "not accepted for policy reasons" is Yahoo's answer to a message that failed authentication checks.
    Rule("yahoo-unauthenticated", "authfailure", YAHOO, provider="yahoo", words=r"unauthenticated|DMARC|\bSPF\b|\bDKIM\b"),
    Rule("yahoo-5.7.9-policy", "authfailure", YAHOO, provider="yahoo", status=r"5\.7\.9"),
    Rule("yahoo-block-list", "blocked", YAHOO, provider="yahoo", words=r"\[BL2[0-9]\]"),
    Rule("yahoo-permanently-deferred", "blocked", YAHOO, provider="yahoo", words=r"\[TSS(?:09|11)\]|permanently deferred"),
    Rule(
        "yahoo-unexpected-volume",
        "badreputation",
        YAHOO,
        provider="yahoo",
        words=r"\[TSS0[0-9]\]|\[TS0[0-9]\]|user complaints|Excessive unknown recipients",
    ),
    Rule("yahoo-mail-not-allowed", "blocked", YAHOO, provider="yahoo", words=r"Mail from \S+ not allowed|\bVS99-IP"),
    Rule("yahoo-no-account", "userunknown", YAHOO, provider="yahoo", words=r"doesn't have an? [\w.]+ account|mailbox not found"),
    Rule("yahoo-disabled", "suspend", YAHOO, provider="yahoo", words=r"mailbox is disabled|\(554\.30\)"),
    Rule("yahoo-ph01-content", "spamdetected", YAHOO, provider="yahoo", words=r"\[PH0[0-9]\]"),
    # Apple iCloud Mail.
    # Apple does not say what its bracketed codes (CS01, HM08 ...) mean: its words, "local policy", are all we read.
    Rule("apple-local-policy", "policyviolation", APPLE, provider="apple", words=r"\[(?:CS|HM)\d\d\]|local policy"),
    Rule("apple-excessive-volume", "speeding", APPLE, provider="apple", words=r"excessive volume"),
    Rule("apple-inactive", "suspend", APPLE, provider="apple", words=r"inactive email address"),
    # docomo and au answer "User unknown" both for an address that does not exist and for a subscriber whose
    # reception filter (ドメイン指定受信, 受信拒否設定) refuses the sender: docomo refuses the first at RCPT (5.1.1)
    # and the second after DATA (5.2.0); au names the address only for the first. SoftBank drops what its filters
    # refuse without a reply, so only its unknown address has a rule.
    Rule(
        "docomo-unknown-user-at-rcpt",
        "userunknown",
        DOCOMO,
        provider="docomo",
        words=r"unknown user|user unknown",
        status=r"5\.1\.1",
    ),
    Rule(
        "docomo-unknown-user-after-data",
        "filtered",
        DOCOMO,
        provider="docomo",
        words=r"unknown user|user unknown",
        status=r"5\.2\.0",
    ),
    Rule(
        "docomo-unknown-user-unconfirmed",
        "filtered",
        DOCOMO,
        provider="docomo",
        words=r"unknown user|user unknown",
        verdict="unconfirmed",
    ),
    Rule("au-user-unknown-named", "userunknown", AU, provider="au", words=r"user unknown|unknown user", names_address=True),
    Rule("au-user-unknown-unnamed", "filtered", AU, provider="au", words=r"user unknown|unknown user", names_address=False),
    Rule("docomo-too-much-mail-data", "mailboxfull", DOCOMO, provider="docomo", words=r"too much mail data"),
    Rule("softbank-invalid-recipient", "userunknown", SOFTBANK, provider="softbank", words=r"invalid recipient|user unknown"),
    # The words any mail server uses.
    Rule(
        "mimecast-anti-spoofing",
        "policyviolation",
        "https://mimecastsupport.zendesk.com/hc/en-us/articles/34000709564691-Policies-Mimecast-SMTP-Error-Codes",
        words=r"Anti-Spoofing policy",
        actor="sender-domain",
    ),
    Rule(
        "dnsbl",
        "blocked",
        "the block lists' own pages: spamhaus.org, barracudacentral.org, spamcop.net, sorbs.net, uceprotect.net",
        words=r"spamhaus|\bsorbs\b|barracuda|spamcop|uceprotect|ipcheck\.proofpoint|cloudmark|\b(?:dnsbl|rbl)\b|block ?list|black ?list|blocked using|listed (?:on|in|at|by)",
    ),
    Rule(
        "unauthenticated",
        "authfailure",
        "RFC 7372 (5.7.20 to 5.7.26); RFC 7489 (DMARC)",
        words=r"\bDMARC\b|\bSPF\b.{0,40}\b(?:fail|not pass)|\bDKIM\b.{0,40}\b(?:fail|not pass|no valid|missing)|unauthenticated|authentication (?:failed|required|checks)",
    ),
    Rule(
        "no-reverse-dns",
        "requireptr",
        "RFC 8601 section 3 (iprev); RFC 7372 5.7.25",
        words=r"reverse (?:dns|lookup)|\bPTR\b|\brdns\b|no hostname for",
    ),
    Rule("virus", "virusdetected", RFC5321, words=r"\bvirus|malware|infected"),
    Rule(
        "user-unknown",
        "userunknown",
        "RFC 3463 X.1.1 (bad destination mailbox address)",
        words=r"user unknown|unknown user|no such (?:user|mailbox|recipient)|recipient (?:unknown|not found|does not exist)|unknown recipient|invalid recipient|mailbox (?:not found|does not exist)|address does not exist|account does not exist|does not have an account",
    ),
    Rule(
        "mailbox-full",
        "mailboxfull",
        "RFC 3463 X.2.2 (mailbox full)",
        words=r"mailbox (?:is )?full|over (?:its |the )?quota|quota exceeded|exceeded (?:its |the )?(?:storage |mailbox )?quota|mailbox size limit",
    ),
    Rule(
        "mailbox-disabled",
        "suspend",
        "RFC 3463 X.2.1 (mailbox disabled)",
        words=r"(?:mailbox|account|user) (?:is )?(?:disabled|inactive|suspended|locked|deactivated)",
    ),
    Rule(
        "relay-denied",
        "norelaying",
        RFC5321,
        words=r"relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)|unable to relay|not permitted to relay",
    ),
    Rule(
        "host-unknown",
        "hostunknown",
        "RFC 3463 X.1.2, X.4.4; RFC 7505 (null MX)",
        words=r"host (?:or domain name )?not found|domain (?:not found|does not exist)|no mx|unrout(?:e)?able|null mx|nxdomain",
    ),
    Rule("greylisted", "speeding", "RFC 6647 (greylisting)", words=r"gr[ea]y-?list"),
    Rule("rate-limited", "speeding", RFC5321, words=r"rate limit|too many (?:messages|mails|emails)|sending rate|throttl"),
    Rule("too-many-connections", "toomanyconn", RFC5321, words=r"too many (?:connections|concurrent)|connection limit"),
    Rule(
        "size",
        "mesgtoobig",
        "RFC 1870 (SIZE); RFC 3463 X.3.4",
        words=r"message (?:size|too (?:big|large))|size (?:limit|exceeds)|exceeds (?:the )?(?:maximum|size)",
    ),
    Rule("spam", "spamdetected", RFC5321, words=r"\bspam\b|junk mail|unsolicited|bulk mail"),
    Rule(
        "connection",
        "networkerror",
        "RFC 3463 X.4.1, X.4.2",
        words=r"connection (?:timed out|refused|reset|lost|dropped)|timed out|unable to connect|could not connect|no route to host|network (?:is )?unreachable",
    ),
    # The enhanced status code alone: the IANA registry's meaning of class.subject.detail.
    _status("1.1", "userunknown", "bad destination mailbox address"),
    _status("1.2", "hostunknown", "bad destination system address"),
    _status("1.3", "userunknown", "bad destination mailbox address syntax"),
    _status("1.4", "userunknown", "destination mailbox address ambiguous"),
    _status("1.6", "hasmoved", "destination mailbox has moved, no forwarding address"),
    _status("1.7", "rejected", "bad sender's mailbox address syntax"),
    _status("1.8", "rejected", "bad sender's system address"),
    _status("1.10", "hostunknown", "recipient address has null MX"),
    _status("1.11", "rejected", "sender address has null MX"),
    _status("2.1", "suspend", "mailbox disabled, not accepting messages"),
    _status("2.2", "mailboxfull", "mailbox full"),
    _status("2.3", "mesgtoobig", "message length exceeds administrative limit"),
    _status("3.0", "systemerror", "other or undefined mail system status"),
    _status("3.1", "systemfull", "mail system full"),
    _status("3.2", "notaccept", "system not accepting network messages"),
    _status("3.4", "mesgtoobig", "message too big for system"),
    _status("3.5", "systemerror", "system incorrectly configured"),
    _status("4.0", "networkerror", "other or undefined network or routing status"),
    _status("4.1", "networkerror", "no answer from host"),
    _status("4.2", "networkerror", "bad connection"),
    _status("4.3", "systemerror", "directory server failure"),
    _status("4.4", "hostunknown", "unable to route"),
    _status("4.5", "toomanyconn", "mail system congestion"),
    _status("4.6", "systemerror", "routing loop detected"),
    _status("4.7", "expired", "delivery time expired"),
    _status("6.0", "contenterror", "other or undefined media error"),
    _status("6.1", "contenterror", "media not supported"),
    _status("6.2", "contenterror", "conversion required and prohibited"),
    _status("6.3", "contenterror", "conversion required but not supported"),
    _status("6.5", "contenterror", "conversion failed"),
    _status("6.7", "notcompliantrfc", "non-ASCII addresses not permitted"),
    _status("7.0", "securityerror", "other or undefined security status"),
    _status("7.1", "policyviolation", "delivery not authorized, message refused"),
    _status("7.2", "policyviolation", "mailing list expansion prohibited"),
    _status("7.7", "securityerror", "message integrity failure"),
    _status("7.10", "securityerror", "encryption needed"),
    _status("7.13", "suspend", "user account disabled"),
    _status("7.17", "hasmoved", "mailbox owner has changed"),
    _status("7.18", "hasmoved", "domain owner has changed"),
    _status("7.20", "authfailure", "no passing DKIM signature found"),
    _status("7.21", "authfailure", "no acceptable DKIM signature found"),
    _status("7.22", "authfailure", "no valid author-matched DKIM signature found"),
    _status("7.23", "authfailure", "SPF validation failed"),
    _status("7.24", "authfailure", "SPF validation error"),
    _status("7.25", "requireptr", "reverse DNS validation failed"),
    _status("7.26", "authfailure", "multiple authentication checks failed"),
    _status("7.27", "rejected", "sender address has null MX"),
    _status("7.28", "speeding", "mail flood detected"),
    _status("7.29", "authfailure", "ARC validation failure"),
    _status("7.30", "securityerror", "REQUIRETLS support required"),
    # SES's own bounce and delay types, when nothing above decided.
    Rule(
        "ses-on-account-suppression-list",
        "suppressed",
        SES_SUPPRESSION,
        subtype="OnAccountSuppressionList",
        actor="ses-account",
        verdict="account",
    ),
    Rule("ses-suppressed", "suppressed", SES_SUPPRESSION, subtype="Suppressed", actor="recipient", verdict="global"),
    Rule("ses-no-email", "userunknown", SES_BOUNCES, event="Bounce", subtype="NoEmail"),
    Rule("ses-mailbox-full", "mailboxfull", SES_BOUNCES, subtype="MailboxFull"),
    Rule("ses-message-too-large", "mesgtoobig", SES_BOUNCES, subtype="MessageTooLarge"),
    Rule("ses-content-rejected", "contenterror", SES_BOUNCES, subtype="ContentRejected"),
    Rule("ses-attachment-rejected", "contenterror", SES_BOUNCES, subtype="AttachmentRejected", verdict="attachment"),
    # SpamDetected: "the recipient's mail server has detected a large amount of unsolicited email from your account".
    Rule("ses-delay-spam-detected", "badreputation", SES_BOUNCES, event="DeliveryDelay", subtype="SpamDetected"),
    Rule("ses-delay-ip-failure", "blocked", SES_BOUNCES, event="DeliveryDelay", subtype="IPFailure"),
    Rule("ses-delay-communication", "networkerror", SES_BOUNCES, event="DeliveryDelay", subtype="TransientCommunicationFailure"),
    Rule("ses-delay-recipient-server", "systemerror", SES_BOUNCES, event="DeliveryDelay", subtype="RecipientServerError"),
    Rule("ses-delay-internal", "systemerror", SES_BOUNCES, event="DeliveryDelay", subtype="InternalFailure", actor="wait"),
    # The basic reply code alone, where RFC 5321 (and RFC 7504) give it one meaning.
    Rule("code-551-user-not-local", "hasmoved", RFC5321, code=r"551"),
    Rule("code-552-storage", "mailboxfull", RFC5321, code=r"552"),
    Rule("code-521-556-no-mail", "notaccept", "RFC 7504 (521, 556: the host or domain takes no mail)", code=r"521|556"),
    # Nothing decided.
    Rule("undefined", "undefined", "no rule matched: the reply's words are shown as they are"),
)
"""Every rule, the first that matches deciding; the last matches everything."""
