"""Every verdict `seslog why` can give, in plain words, with the next step: the one table of them.

A verdict is keyed by what decided it: the event type, then the bounce type and subtype or the
delay type (``Bounce/Permanent/OnAccountSuppressionList``, ``DeliveryDelay/MailboxFull``), or
``Send`` for a message with no outcome yet and ``none`` for an address or ID with no events.
A delivery with opens is ``Delivery/Opened``. A key with no text of its own falls back to its parent (``Bounce/Permanent/Other`` reads as
``Bounce/Permanent``). Texts are ``str.format`` templates over the facts ``seslog.why`` passes
(``Facts``); the SES behaviour they state is from the SES developer guide's pages on event
publishing, bounces, the suppression lists and the sending quotas.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    status: str
    """A few words: what became of the message for this recipient."""
    why: str
    """What happened, from the events."""
    next: str
    """What to do next."""


_SPAM_FOLDER = (
    "Ask the recipient to look in their spam or junk folder and quarantine, to check their filtering and forwarding rules, "
    "and to search the exact address {recipient} (mail to another alias or mailbox is a common mix-up)."
)

VERDICTS: dict[str, Text] = {
    "Delivery": Text(
        "delivered",
        "The receiving server {server} accepted the message for {recipient} at {event_time}, {after} after SES accepted it, "
        "answering: {smtp_response}. SES's part ends there: from now on the mail is the recipient's mail service's.",
        _SPAM_FOLDER,
    ),
    "Delivery/Opened": Text(
        "delivered and opened",
        "The receiving server {server} accepted the message for {recipient} at {event_time}, {after} after SES accepted it "
        "({smtp_response}), and it was opened {opens} time{opens_s}, last at {last_open}: it reached a mailbox and was shown "
        "(an open can also be a mail client or a privacy proxy loading its images, so it does not prove a person read it).",
        "Ask the recipient to search their whole mailbox (archive, other folders, other devices) for the subject; "
        "if they still do not see it, another person or program reads that mailbox.",
    ),
    "Bounce": Text(
        "bounced",
        "The receiving side returned the message at {event_time}: {bounce_type}/{bounce_subtype}: {diagnostic_code}.",
        "Read the diagnostic code with the recipient or their mail administrator; check the address and send again if it was a passing fault.",
    ),
    "Bounce/Permanent": Text(
        "not delivered (hard bounce)",
        "The receiving side refused the message for good at {event_time} ({bounce_subtype}): {diagnostic_code}.",
        "Do not send to this address again as it is; confirm the address with the recipient.",
    ),
    "Bounce/Permanent/General": Text(
        "not delivered: the address does not exist or refuses mail",
        "The receiving server {server} refused the message for good at {event_time}: {diagnostic_code}. "
        "The mailbox does not exist, was closed, or does not accept mail from this sender.",
        "Check the address for typos with the recipient and send to the corrected one. If your account's suppression list "
        "collects bounces, SES has added {recipient} to it and will not try it again until it is removed.",
    ),
    "Bounce/Permanent/NoEmail": Text(
        "not delivered: the domain takes no mail",
        "SES found no mail server for the recipient's domain at {event_time}: {diagnostic_code}.",
        "Check the domain part of {recipient} for typos with the recipient; the domain has no MX record that accepts mail.",
    ),
    "Bounce/Permanent/Suppressed": Text(
        "not sent: on SES's global suppression list",
        "SES did not even try to deliver: {recipient} is on SES's global suppression list, because it recently hard-bounced "
        "for SES senders. SES recorded the bounce at {event_time}: {diagnostic_code}.",
        "Nothing on your account lists it: SES takes addresses off the global list on its own after a while. "
        "Confirm the address with the recipient, or ask for another one.",
    ),
    "Bounce/Permanent/OnAccountSuppressionList": Text(
        "not sent: on your account's suppression list",
        "SES did not even try to deliver: {recipient} is on this account's suppression list{listed_after}. "
        "SES recorded the bounce at {event_time}: {diagnostic_code}.",
        "If the recipient confirms the address works now, remove it from the list and send again: "
        "aws sesv2 delete-suppressed-destination --email-address {recipient}{region_option}",
    ),
    "Bounce/Transient": Text(
        "not delivered (soft bounce)",
        "SES kept trying from {sent_at} and gave up at {event_time}, {after} later; the receiving side last said: {diagnostic_code}.",
        "The fault may have passed: send again. If it bounces again, the recipient's mail administrator can tell why "
        "{reporting_mta} defers mail from this sender.",
    ),
    "Bounce/Transient/MailboxFull": Text(
        "not delivered: the mailbox is full",
        "The recipient's mailbox was full; SES gave up at {event_time}: {diagnostic_code}.",
        "Ask the recipient to free space in their mailbox, then send again.",
    ),
    "Bounce/Transient/MessageTooLarge": Text(
        "not delivered: the message is too large",
        "The receiving server refused the message as too large at {event_time}: {diagnostic_code}.",
        "Send a smaller message: fewer or smaller attachments, or a link instead.",
    ),
    "Bounce/Transient/ContentRejected": Text(
        "not delivered: the content was refused",
        "The receiving server refused the content at {event_time} (a spam or policy filter): {diagnostic_code}.",
        "Check the sending domain's SPF, DKIM and DMARC and the message's links and wording; the recipient's mail "
        "administrator can allow the sender.",
    ),
    "Bounce/Transient/AttachmentRejected": Text(
        "not delivered: an attachment was refused",
        "The receiving server refused an attachment at {event_time}: {diagnostic_code}.",
        "Send without the attachment, or with another file type.",
    ),
    "Bounce/Undetermined": Text(
        "bounced, reason unknown",
        "A bounce came back at {event_time} that SES could not classify: {diagnostic_code}.",
        "Read the diagnostic code with the recipient's mail administrator; send again if the address is right.",
    ),
    "DeliveryDelay": Text(
        "not delivered yet: SES is still trying",
        "The receiving side deferred the message at {event_time} ({delay_type}): {diagnostic_code}. SES has been trying "
        "for {trying} and gives up at {expiration_time}.",
        "Wait: SES retries on its own until then and publishes a Delivery or a Bounce. Look again later with the same command.",
    ),
    "DeliveryDelay/MailboxFull": Text(
        "not delivered yet: the mailbox is full",
        "The recipient's mailbox was full at {event_time}: {diagnostic_code}. SES has been trying for {trying} and gives "
        "up at {expiration_time}.",
        "Ask the recipient to free space in their mailbox; SES keeps retrying until then.",
    ),
    "DeliveryDelay/SpamDetected": Text(
        "not delivered yet: held as suspected spam",
        "The receiving server deferred the message as suspected spam at {event_time}: {diagnostic_code}. SES has been "
        "trying for {trying} and gives up at {expiration_time}.",
        "Check the sending domain's SPF, DKIM and DMARC and the content; the recipient's mail administrator can allow the sender.",
    ),
    "DeliveryDelay/IPFailure": Text(
        "not delivered yet: the sending IP address is blocked",
        "The receiving server refused the sending IP address at {event_time}: {diagnostic_code}. SES has been trying for "
        "{trying} and gives up at {expiration_time}.",
        "SES retries, possibly from other addresses. With dedicated IPs, check their reputation; otherwise wait.",
    ),
    "Complaint": Text(
        "delivered, then marked as spam",
        "The recipient reported the message as spam at {event_time} ({complaint_type}). It had reached their mailbox.",
        "Do not send them bulk mail again. If your account's suppression list collects complaints, SES has added {recipient} "
        "to it and will not send to it until it is removed; if they need this mail, ask them to mark it as not spam.",
    ),
    "Reject": Text(
        "not sent: SES rejected it",
        "SES accepted the call but rejected the message at {event_time} without sending it to anyone: {reject_reason} "
        "(SES found a virus in it).",
        "Scan the attachments, remove what is infected, and send again.",
    ),
    "Rendering Failure": Text(
        "not sent: the template did not render",
        "SES could not render template {template_name} at {event_time} and sent nothing: {template_error}.",
        "Fix the template data (every variable the template names must be given, with the right type) and send again.",
    ),
    "Send/recent": Text(
        "accepted by SES, no outcome yet",
        "SES accepted the message at {sent_at}, {ago} ago, and no Delivery, Bounce or Delay is logged yet.",
        "Events reach the log within minutes: Firehose holds them for up to the stack's buffer interval (bufferIntervalSeconds). "
        "Look again in a few minutes.",
    ),
    "Send/stale": Text(
        "accepted by SES, no outcome logged",
        "SES accepted the message at {sent_at}, {ago} ago, and no Delivery, Bounce or Delay is logged for {recipient}.",
        "Deliveries and bounces are logged within minutes, delays within hours. Check that the stack publishes DELIVERY, "
        "BOUNCE and DELIVERY_DELAY (config eventTypes), and widen the range with --until in case the events are later.",
    ),
    "Open": Text(
        "delivered and opened",
        "The message was opened at {event_time}; its Send is outside the range, so it was sent earlier.",
        "Ask the recipient to search their mailbox for it; widen the range with --from to see how it was sent.",
    ),
    "none": Text(
        "no trace in this log",
        "No event in this log matches {subject} {range}.",
        "Go through the reasons mail leaves no trace here, in this order:",
    ),
}

CHECKLIST: tuple[tuple[str, str], ...] = (
    (
        (
            "It was sent without this configuration set: a Cognito user pool in COGNITO_DEFAULT mode sends through Cognito's "
            "own SES, and a DEVELOPER pool or an application that names no set uses the identity's default set, if any."
        ),
        (
            "aws cognito-idp describe-user-pool --user-pool-id POOL_ID --query UserPool.EmailConfiguration; "
            "aws sesv2 get-email-identity --email-identity DOMAIN --query ConfigurationSetName"
        ),
    ),
    (
        "It was sent in another region or account than this stack's.",
        "aws sesv2 get-account --region REGION (for each region the application sends from)",
    ),
    (
        (
            "The SendEmail call itself failed, so SES published nothing: in the sandbox SES takes mail only to verified "
            "addresses, and it refuses calls while sending is paused. The application's own logs hold the error."
        ),
        "aws sesv2 get-account --query '{{production: ProductionAccessEnabled, sending: SendingEnabled}}'",
    ),
    ("It was sent outside the time range.", "{wider}"),
)
"""Why a mail leaves no trace in the log, and the command that checks each reason (``{wider}``: the same
question over a longer range)."""


def text_key(key: str) -> str:
    """The key whose text a verdict ``key`` reads: itself, else its nearest parent that has one."""
    while key not in VERDICTS and "/" in key:
        key = key.rsplit("/", 1)[0]
    if key not in VERDICTS:
        raise KeyError(f"no verdict text for {key!r}")
    return key
