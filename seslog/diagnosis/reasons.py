"""The reasons a message fails, named as the field names them, and who must act on each.

The names are the vocabulary of the bounce analyzer Sisimai, which people who read bounces
recognise; what each means here, and who acts on it, is ours. ``docs/investigating.md`` lists
them from this table (a test keeps the two equal).
"""

from __future__ import annotations

from dataclasses import dataclass

ACTORS: dict[str, str] = {
    "recipient": "the recipient (or their mail administrator): the address, the mailbox or their filters",
    "sender-domain": "you, in DNS and SES: the sending domain's DKIM, SPF (MAIL FROM), DMARC or reverse DNS",
    "sender-content": "you, in the message: its content, links, headers, size or attachments",
    "sender-reputation": "you, in how you send: list hygiene, bounce and complaint rates, volume, the sending IPs",
    "ses-account": "you, in the SES account: its suppression list, sandbox, quotas or sending pause",
    "cognito-pool": "you, in the Cognito user pool: its email settings (sending account, SES identity, configuration set)",
    "wait": "no one yet: a passing fault at the receiving side or on the way; SES retries, or send again later",
}
"""Who must act, by the names ``actor`` takes, with what that means."""


@dataclass(frozen=True)
class Reason:
    name: str
    meaning: str
    """One line: what the receiving side (or SES) said, in plain words."""
    actor: str
    """Who acts on it unless the rule that decided says otherwise."""


REASONS: dict[str, Reason] = {
    r.name: r
    for r in (
        Reason("userunknown", "the address does not exist at the receiving domain", "recipient"),
        Reason("hostunknown", "the recipient's domain does not exist or takes no mail (no MX, null MX)", "recipient"),
        Reason("hasmoved", "the address has moved and the receiving side names the new one", "recipient"),
        Reason("suspend", "the mailbox exists but is disabled, inactive or suspended", "recipient"),
        Reason("mailboxfull", "the mailbox is over its quota", "recipient"),
        Reason(
            "filtered",
            "the recipient's own filter (allow or block list, carrier reception setting) refused the sender",
            "recipient",
        ),
        Reason("authfailure", "the message failed SPF, DKIM or DMARC checks at the receiving side", "sender-domain"),
        Reason("requireptr", "the sending IP address has no (matching) reverse DNS name", "sender-domain"),
        Reason("blocked", "the sending IP address or network is on a block list", "sender-reputation"),
        Reason(
            "badreputation", "the sending IP or domain has too low a reputation; mail is refused or deferred", "sender-reputation"
        ),
        Reason("spamdetected", "the receiving side's spam filter judged the message to be spam", "sender-content"),
        Reason(
            "policyviolation",
            "the receiving side's policy refused the message (not spam as such, not authentication)",
            "sender-content",
        ),
        Reason("contenterror", "the receiving side refused the content or an attachment", "sender-content"),
        Reason("virusdetected", "the receiving side found malware in the message", "sender-content"),
        Reason("securityerror", "the receiving side refused the message as a security risk", "sender-content"),
        Reason("notcompliantrfc", "the message does not follow the mail standards (RFC 5322 headers, MIME)", "sender-content"),
        Reason("mesgtoobig", "the message is larger than the receiving side accepts", "sender-content"),
        Reason("rejected", "the receiving side refused the sender's address or domain", "sender-domain"),
        Reason("speeding", "the receiving side limits how fast it takes mail from this sender or for this mailbox", "wait"),
        Reason("toomanyconn", "the receiving side refused more connections from the sending IP for now", "wait"),
        Reason("norelaying", "the receiving server does not take mail for the recipient's domain (relay denied)", "recipient"),
        Reason("networkerror", "the receiving server could not be reached or the connection broke", "wait"),
        Reason("systemerror", "the receiving server had an error of its own", "wait"),
        Reason("systemfull", "the receiving server is out of storage", "wait"),
        Reason("notaccept", "the receiving domain or server takes no mail at all, or none for now", "recipient"),
        Reason("expired", "SES retried until its delivery time ran out and gave up", "wait"),
        Reason("suppressed", "SES did not try: the address is on a suppression list", "ses-account"),
        Reason("undefined", "nothing in the reply says why", "recipient"),
        # Outcomes that are not failures (NOT_FAILURES), so that every verdict has a reason.
        Reason("delivered", "the receiving server accepted the message", "recipient"),
        Reason("feedback", "the recipient reported the message as spam (a complaint)", "sender-reputation"),
        Reason("onhold", "SES accepted the message and no outcome is logged yet", "wait"),
    )
}

NOT_FAILURES = frozenset({"delivered", "feedback", "onhold"})
"""The reasons of outcomes that are not failures (so that every verdict has a reason)."""
