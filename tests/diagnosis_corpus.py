"""Replies as receiving servers give them, each with the reason and the rule that must decide it.

The strings are shaped as the providers' own reference pages and the standards show them (the
source column of each rule in seslog/diagnosis/rules.py), with the variable parts (addresses, IP
addresses, tracking tokens) made up. Both tests/test_diagnosis.py and the coverage report
(``python -m bench.diagnosis``) read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from seslog.diagnosis import Failure


@dataclass(frozen=True)
class Case:
    recipient: str
    diagnostic: str
    reason: str
    rule: str
    status: str | None = None
    """The recipient's DSN status field, when the case turns on it."""
    bounce_type: str = "Permanent"
    subtype: str = "General"
    event: str = "Bounce"

    def failure(self) -> Failure:
        delay = self.event == "DeliveryDelay"
        return Failure(
            self.recipient,
            self.diagnostic,
            self.status,
            self.event,
            self.bounce_type or None,
            None if delay else self.subtype,
            self.subtype if delay else None,
        )


G, M, Y, A = "taro@gmail.com", "taro@outlook.com", "taro@yahoo.com", "taro@icloud.com"
WORKSPACE, M365 = "hanako@corp.example.com", "jiro@contoso.example"

CASES: tuple[Case, ...] = (
    # SES's own texts.
    Case(
        "taro@example.jp",
        "Amazon SES did not send the message to this address because it is on the suppression list for your account. For more information about removing addresses from the suppression list, see the Amazon SES Developer Guide at https://docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html",
        "suppressed",
        "ses-account-suppression-list",
        subtype="OnAccountSuppressionList",
    ),
    Case(
        "taro@example.jp",
        "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address. For more information about how to remove an address from the suppression list, see the Amazon SES Developer Guide: http://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html",
        "suppressed",
        "ses-global-suppression-list",
        subtype="Suppressed",
    ),
    Case(
        "taro@example.jp",
        "smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>",
        "expired",
        "ses-message-expired",
        bounce_type="Transient",
    ),
    Case(
        "taro@example.jp",
        "smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<452 4.2.2 Mailbox full>",
        "expired",
        "ses-message-expired",
        bounce_type="Transient",
    ),
    # Gmail and Google Workspace (support.google.com/a/answer/3726730).
    Case(
        G,
        "smtp; 550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.",
        "authfailure",
        "gmail-5.7.26-unauthenticated",
    ),
    Case(
        WORKSPACE,
        "smtp; 550-5.7.26 Unauthenticated email from example.jp is not accepted due to domain's 550-5.7.26 DMARC policy. Please contact the administrator of example.jp domain if 550-5.7.26 this was a legitimate mail. 550 5.7.26 https://support.google.com/mail/answer/2451690 a1si123.45 - gsmtp",
        "authfailure",
        "gmail-5.7.26-unauthenticated",
    ),
    Case(
        G,
        "smtp; 550-5.7.27 The sender's SPF record does not pass. 550 5.7.27 https://support.google.com/mail/answer/81126 - gsmtp",
        "authfailure",
        "gmail-5.7.27-spf",
    ),
    Case(
        G,
        "smtp; 550-5.7.30 This message does not pass DKIM authentication. 550 5.7.30 https://support.google.com/mail/answer/81126 - gsmtp",
        "authfailure",
        "gmail-5.7.30-dkim",
    ),
    Case(
        G,
        "smtp; 550-5.7.32 The From: header isn't aligned with either the authenticated SPF or DKIM organizational domain. - gsmtp",
        "authfailure",
        "gmail-5.7.32-dmarc-alignment",
    ),
    Case(
        G,
        "smtp; 550-5.7.1 Unauthenticated email from example.jp is not accepted due to domain's DMARC policy. - gsmtp",
        "authfailure",
        "gmail-unauthenticated",
    ),
    Case(
        G,
        "smtp; 421-4.7.0 This message does not have authentication information or fails to pass authentication checks. To best protect our users from spam, the message has been blocked. https://support.google.com/mail/answer/81126#authentication - gsmtp",
        "authfailure",
        "gmail-unauthenticated",
        bounce_type="Transient",
    ),
    Case(
        WORKSPACE,
        "smtp; 550 5.7.1 This message violates example.com email policy. - gcdp a1si123 - gsmtp",
        "policyviolation",
        "gmail-custom-domain-policy",
    ),
    Case(
        WORKSPACE,
        "smtp; 421 4.7.0 IP not in whitelist for RCPT domain, closing connection. - gsmtp",
        "rejected",
        "gmail-ip-not-allowed",
        bounce_type="Transient",
    ),
    Case(
        WORKSPACE,
        "smtp; 421 4.7.0 TLS required for RCPT domain, closing connection. - gsmtp",
        "securityerror",
        "gmail-tls-required",
        bounce_type="Transient",
    ),
    Case(
        G,
        "smtp; 421-4.7.27 Your email has been rate limited because SPF authentication didn't pass for this message. - gsmtp",
        "authfailure",
        "gmail-4.7.27-spf-temporary",
        bounce_type="Transient",
    ),
    Case(
        G,
        "smtp; 550-5.7.25 The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. - gsmtp",
        "requireptr",
        "gmail-5.7.25-ptr",
    ),
    Case(
        G,
        "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser a1si1234567qtb.12 - gsmtp",
        "userunknown",
        "gmail-5.1.1-no-account",
    ),
    Case(
        G,
        "smtp; 550-5.2.1 The email account that you tried to reach is disabled. 550 5.2.1 https://support.google.com/mail/?p=DisabledUser - gsmtp",
        "suspend",
        "gmail-5.2.1-disabled",
    ),
    Case(
        G,
        "smtp; 450-4.2.1 The user you are trying to contact is receiving mail at a rate that 450-4.2.1 prevents additional messages from being delivered. - gsmtp",
        "speeding",
        "gmail-receiving-rate",
        bounce_type="Transient",
    ),
    Case(
        G,
        "smtp; 550-5.2.1 The user you are trying to contact is receiving mail at a rate that 550-5.2.1 prevents additional messages from being delivered. https://support.google.com/mail/?p=ReceivingRatePerm - gsmtp",
        "speeding",
        "gmail-receiving-rate",
    ),
    Case(
        G,
        "smtp; 452-4.2.2 The recipient's inbox is out of storage space. Please direct the 452-4.2.2 recipient to 452 4.2.2 https://support.google.com/mail/?p=OverQuotaTemp - gsmtp",
        "mailboxfull",
        "gmail-quota",
        bounce_type="Transient",
    ),
    Case(G, "smtp; 552-5.3.4 Your message exceeded Google's message size limits. - gsmtp", "mesgtoobig", "gmail-5.3.4-size"),
    Case(
        G,
        "smtp; 552-5.7.0 This message was blocked because its content presents a potential 552-5.7.0 security issue. - gsmtp",
        "securityerror",
        "gmail-security-issue",
    ),
    Case(
        G,
        "smtp; 550-5.7.1 Messages missing a valid address in From: header, or having no From: header, are not accepted. - gsmtp",
        "notcompliantrfc",
        "gmail-rfc5322",
    ),
    Case(
        G,
        "smtp; 421-4.7.0 Our system has detected that this message is suspicious due to the very low reputation of the sending domain. - gsmtp",
        "badreputation",
        "gmail-low-reputation",
        bounce_type="Transient",
    ),
    Case(
        G,
        "smtp; 550-5.7.1 Our system has detected an unusual rate of unsolicited mail originating from your IP address. - gsmtp",
        "badreputation",
        "gmail-low-reputation",
    ),
    Case(
        G,
        "smtp; 550-5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. - gsmtp",
        "spamdetected",
        "gmail-unsolicited",
    ),
    Case(
        G,
        "smtp; 421-4.7.28 [54.240.8.1] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. Please visit https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp",
        "badreputation",
        "gmail-low-reputation",
        bounce_type="Transient",
    ),
    Case(
        G,
        "smtp; 421 4.7.0 [54.240.8.1] Our system has detected that this message is suspicious due to the nature of the content and/or the links within. https://support.google.com/mail/answer/188131 - gsmtp",
        "spamdetected",
        "gmail-unsolicited",
        bounce_type="Transient",
    ),
    # Microsoft: outlook.com (S-codes) and Microsoft 365.
    Case(
        M,
        "smtp; 550 5.7.1 Unfortunately, messages from [54.240.0.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "blocked",
        "microsoft-s3150-block-list",
    ),
    Case(
        M,
        "smtp; 550 5.7.1 Unfortunately, messages from [54.240.0.1] weren't sent. Please contact your Internet service provider. You can tell them that Hotmail does not relay dynamically-assigned IP ranges (S3140).",
        "blocked",
        "microsoft-s3150-block-list",
    ),
    Case(
        M365,
        "smtp; 550 5.7.509 Access denied, sending domain example.jp does not pass DMARC verification and has a DMARC policy of reject. [AM4PEPF00000000.eurprd00.prod.outlook.com]",
        "authfailure",
        "microsoft-5.7.509-dmarc",
    ),
    Case(
        M,
        "smtp; 550 5.7.515 Access denied, sending domain example.jp doesn't meet the required authentication level. [BN1PEPF00000000.namprd00.prod.outlook.com]",
        "authfailure",
        "microsoft-5.7.515-auth-level",
    ),
    Case(
        M365,
        "smtp; 550 5.7.606 Access denied, banned sending IP [54.240.8.1]. To request removal from this list please visit https://sender.office.com/ and follow the directions. AS(1430) [DM6PR00MB0000.namprd00.prod.outlook.com]",
        "blocked",
        "microsoft-banned-ip",
    ),
    Case(
        M365,
        "smtp; 451 4.7.650 The mail server [54.240.8.1] has been temporarily rate limited due to IP reputation. [CO1NAM00FT000.eop-nam00.prod.protection.outlook.com]",
        "badreputation",
        "microsoft-ip-reputation",
        bounce_type="Transient",
    ),
    Case(
        M365,
        "smtp; 550 5.7.511 Access denied, banned sender[54.240.8.1]. To request removal from this list, forward this message to delist@microsoft.com. [BN1NAM00FT000.eop-nam00.prod.protection.outlook.com]",
        "blocked",
        "microsoft-banned-sender",
    ),
    Case(
        M365,
        "smtp; 550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your administrator for further assistance. AS(7555) [SN1NAM00FT000.eop-nam00.prod.protection.outlook.com]",
        "policyviolation",
        "microsoft-external-forwarding",
    ),
    Case(
        M365,
        "smtp; 550 5.7.12 The sender was not authenticated by organization. [DM6NAM00FT000.eop-nam00.prod.protection.outlook.com]",
        "rejected",
        "microsoft-internal-senders-only",
    ),
    Case(
        M365,
        "smtp; 451 4.7.500 Server busy. Please try again later from [54.240.8.1]. (AS843) [DM6NAM00FT000.eop-nam00.prod.protection.outlook.com]",
        "speeding",
        "microsoft-throttled",
        bounce_type="Transient",
    ),
    Case(
        M365,
        "smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient jiro@contoso.example not found by SMTP address lookup [DM6NAM00FT000.eop-nam00.prod.protection.outlook.com]",
        "userunknown",
        "microsoft-recipient-not-found",
    ),
    Case(
        M365,
        "smtp; 550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR00FT000.eop-eur00.prod.protection.outlook.com]",
        "userunknown",
        "microsoft-5.4.1-edge-blocking",
    ),
    Case(
        M,
        "smtp; 552 5.2.2 STOREDRV.Deliver; mailbox full [Stage: DeliverMessage] (outlook.com)",
        "mailboxfull",
        "microsoft-mailbox-full",
    ),
    Case(
        M365,
        "smtp; 552 5.3.4 Message size exceeds fixed maximum message size [BN8NAM00FT000.eop-nam00.prod.protection.outlook.com]",
        "mesgtoobig",
        "microsoft-size",
    ),
    Case(
        M365,
        "smtp; 550 5.7.1 RESOLVER.RST.AuthRequired; authentication required [Stage: CreateMessage] Delivery not authorized, message refused (protection.outlook.com)",
        "policyviolation",
        "microsoft-not-authorized",
    ),
    # Yahoo and AOL (senders.yahooinc.com/smtp-error-codes).
    Case(
        Y,
        "smtp; 550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.",
        "authfailure",
        "yahoo-unauthenticated",
    ),
    Case(
        Y,
        "smtp; 553 5.7.1 [BL21] Connections will not be accepted from 54.240.8.1, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
        "blocked",
        "yahoo-block-list",
    ),
    Case(
        Y,
        "smtp; 421 4.7.0 [TSS09] All messages from 54.240.8.1 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
        "blocked",
        "yahoo-permanently-deferred",
        bounce_type="Transient",
    ),
    Case(
        "taro@aol.com",
        "smtp; 421 4.7.0 [TSS04] Messages from 54.240.8.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
        "badreputation",
        "yahoo-unexpected-volume",
        bounce_type="Transient",
    ),
    Case(
        Y,
        "smtp; 554 delivery error: dd This user doesn't have a yahoo.com account (taro@yahoo.com) [0] - mta1234.mail.bf1.yahoo.com",
        "userunknown",
        "yahoo-no-account",
    ),
    Case(
        Y,
        "smtp; 554 delivery error: dd Sorry your message to taro@yahoo.com cannot be delivered. This mailbox is disabled (554.30). - mta1234.mail.gq1.yahoo.com",
        "suspend",
        "yahoo-disabled",
    ),
    Case(
        Y,
        "smtp; 554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes",
        "authfailure",
        "yahoo-5.7.9-policy",
    ),
    Case(
        Y,
        "smtp; 554 Message not allowed - [PH01] Email not accepted for policy reasons. Please visit https://help.yahoo.com/kb/postmaster/SLN7253.html",
        "spamdetected",
        "yahoo-ph01-content",
    ),
    Case(Y, "smtp; 553 Mail from 54.240.8.1 not allowed", "blocked", "yahoo-mail-not-allowed"),
    Case(
        Y,
        "smtp; 451 VS1-IP Excessive unknown recipients - possible Open Relay (#4.1.8)",
        "badreputation",
        "yahoo-unexpected-volume",
        bounce_type="Transient",
    ),
    # Apple iCloud Mail (support.apple.com/en-us/102322).
    Case(
        A,
        "smtp; 554 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137",
        "policyviolation",
        "apple-local-policy",
    ),
    Case(
        "taro@custom.example",
        "smtp; 554 5.7.1 [HM08] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137",
        "policyviolation",
        "apple-local-policy",
    ),
    Case(
        A,
        "smtp; 421 4.7.1 Messages to taro@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137",
        "speeding",
        "apple-excessive-volume",
        bounce_type="Transient",
    ),
    Case(A, "smtp; 550 5.1.1 <taro@icloud.com>: inactive email address", "suspend", "apple-inactive"),
    # docomo and au: "User unknown" for an address that does not exist and for a reception filter alike.
    Case(
        "taro@docomo.ne.jp",
        "smtp; 550 Unknown user taro@docomo.ne.jp",
        "userunknown",
        "docomo-unknown-user-at-rcpt",
        status="5.1.1",
    ),
    Case(
        "taro@docomo.ne.jp",
        "smtp; 550 Unknown user taro@docomo.ne.jp",
        "filtered",
        "docomo-unknown-user-after-data",
        status="5.2.0",
    ),
    Case(
        "taro@docomo.ne.jp",
        "smtp; 550 Unknown user taro@docomo.ne.jp",
        "filtered",
        "docomo-unknown-user-unconfirmed",
        status="5.0.0",
    ),
    Case(
        "taro@ezweb.ne.jp",
        "smtp; 550 5.1.1 <taro@ezweb.ne.jp>: User unknown",
        "userunknown",
        "au-user-unknown-named",
        status="5.1.1",
    ),
    Case("taro@au.com", "smtp; 550 : User unknown", "filtered", "au-user-unknown-unnamed", status="5.0.0"),
    Case("taro@i.softbank.jp", "smtp; 550 Invalid recipient: <taro@i.softbank.jp>", "userunknown", "softbank-invalid-recipient"),
    Case("taro@docomo.ne.jp", "smtp; 552 Too much mail data taro@docomo.ne.jp", "mailboxfull", "docomo-too-much-mail-data"),
    # The words any mail server uses.
    Case(
        "taro@example.org",
        "smtp; 554 5.7.1 Service unavailable; Client host [54.240.8.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/54.240.8.1",
        "blocked",
        "dnsbl",
    ),
    Case("taro@example.org", "smtp; 550 Rejected: 54.240.8.1 listed at b.barracudacentral.org", "blocked", "dnsbl"),
    Case("taro@example.org", "smtp; 550 5.7.1 Email rejected per DMARC policy for example.jp", "authfailure", "unauthenticated"),
    Case(
        "taro@example.org",
        "smtp; 550 Client 54.240.8.1 has no hostname for its address: no reverse DNS",
        "requireptr",
        "no-reverse-dns",
    ),
    Case("taro@example.org", "smtp; 554 5.7.1 Message rejected: Virus found: Win.Trojan.Agent", "virusdetected", "virus"),
    Case(
        "taro@example.org",
        "smtp; 550 5.1.1 <taro@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
        "userunknown",
        "user-unknown",
    ),
    Case("taro@example.org", "smtp; 552 Mailbox quota exceeded", "mailboxfull", "mailbox-full"),
    Case("taro@example.org", "smtp; 550 Account is disabled", "suspend", "mailbox-disabled"),
    Case("taro@example.org", "smtp; 554 5.7.1 <taro@example.org>: Relay access denied", "norelaying", "relay-denied"),
    Case(
        "taro@example.orq",
        "smtp; 550 Host or domain name not found. Name service error for name=example.orq type=MX",
        "hostunknown",
        "host-unknown",
    ),
    Case(
        "taro@example.org",
        "smtp; 451 4.7.1 <taro@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/",
        "speeding",
        "greylisted",
        bounce_type="Transient",
    ),
    Case(
        "taro@example.org",
        "smtp; 421 Too many messages from your IP address, rate limit exceeded",
        "speeding",
        "rate-limited",
        bounce_type="Transient",
    ),
    Case(
        "taro@example.org",
        "smtp; 421 Too many concurrent SMTP connections from this IP address; please try again later",
        "toomanyconn",
        "too-many-connections",
        bounce_type="Transient",
    ),
    Case("taro@example.org", "smtp; 552 Message size exceeds maximum permitted", "mesgtoobig", "size"),
    Case("taro@example.org", "smtp; 550 High probability of spam", "spamdetected", "spam"),
    Case("taro@example.org", "smtp; 421 Connection timed out", "networkerror", "connection", bounce_type="Transient"),
    Case(
        "taro@example.org",
        "smtp; 550 Rejected by header based Anti-Spoofing policy: taro@example.org - https://community.mimecast.com/docs/DOC-1369#550",
        "policyviolation",
        "mimecast-anti-spoofing",
    ),
    Case("taro@example.org", "smtp; 554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=54.240.8.1", "blocked", "dnsbl"),
    Case("taro@example.org", "smtp; 551 User not local; please try <taro@example.net>", "hasmoved", "code-551-user-not-local"),
    Case(
        "taro@example.org",
        "smtp; 552 Requested mail action aborted: exceeded storage allocation",
        "mailboxfull",
        "code-552-storage",
    ),
    Case("taro@example.org", "smtp; 556 Domain does not accept mail", "notaccept", "code-521-556-no-mail"),
    # SES's own bounce and delay types, when the words decide nothing.
    Case("taro@example.jp", "", "suppressed", "ses-on-account-suppression-list", subtype="OnAccountSuppressionList"),
    Case("taro@example.jp", "", "suppressed", "ses-suppressed", subtype="Suppressed"),
    Case("taro@example.jp", "smtp; 550 Requested action not taken", "userunknown", "ses-no-email", subtype="NoEmail"),
    Case(
        "taro@example.jp",
        "smtp; 552 Requested action not taken",
        "mailboxfull",
        "ses-mailbox-full",
        bounce_type="Transient",
        subtype="MailboxFull",
    ),
    Case(
        "taro@example.jp",
        "smtp; 552 Requested action not taken",
        "mesgtoobig",
        "ses-message-too-large",
        bounce_type="Transient",
        subtype="MessageTooLarge",
    ),
    Case(
        "taro@example.jp",
        "smtp; 554 Transaction failed",
        "contenterror",
        "ses-content-rejected",
        bounce_type="Transient",
        subtype="ContentRejected",
    ),
    Case(
        "taro@example.jp",
        "smtp; 554 Transaction failed",
        "contenterror",
        "ses-attachment-rejected",
        bounce_type="Transient",
        subtype="AttachmentRejected",
    ),
    Case(
        "taro@example.jp",
        "smtp; 421 Service not available",
        "badreputation",
        "ses-delay-spam-detected",
        event="DeliveryDelay",
        bounce_type="",
        subtype="SpamDetected",
    ),
    Case(
        "taro@example.jp",
        "smtp; 421 Service not available",
        "blocked",
        "ses-delay-ip-failure",
        event="DeliveryDelay",
        bounce_type="",
        subtype="IPFailure",
    ),
    Case(
        "taro@example.jp",
        "",
        "networkerror",
        "ses-delay-communication",
        event="DeliveryDelay",
        bounce_type="",
        subtype="TransientCommunicationFailure",
    ),
    Case(
        "taro@example.jp",
        "smtp; 451 Requested action aborted",
        "systemerror",
        "ses-delay-recipient-server",
        event="DeliveryDelay",
        bounce_type="",
        subtype="RecipientServerError",
    ),
    Case(
        "taro@example.jp",
        "",
        "systemerror",
        "ses-delay-internal",
        event="DeliveryDelay",
        bounce_type="",
        subtype="InternalFailure",
    ),
    Case("taro@example.jp", "smtp; 550 Requested action not taken", "undefined", "undefined"),
)


def status_cases(rules) -> tuple[Case, ...]:
    """One case per rule of the IANA registry's codes (``status-*``), with RFC 5321's own words for a 550 reply,
    ``Requested action not taken``, so that only the enhanced status code decides."""
    return tuple(
        Case("taro@example.org", f"smtp; 550 5.{r.id.removeprefix('status-')} Requested action not taken", r.reason, r.id)
        for r in rules
        if r.id.startswith("status-")
    )
