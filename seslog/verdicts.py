"""Every verdict `seslog why` can give, in plain words, with the next step: the one table of them.

A verdict is keyed by what decided it. A bounce by its reason (``seslog.diagnosis``: what the
receiving side's reply means), sometimes with a qualifier of the rule that decided
(``Bounce/authfailure``, ``Bounce/filtered/unconfirmed``, ``Bounce/suppressed/account``); a delay
by SES's ``delayType`` (``DeliveryDelay/MailboxFull``); the other outcomes by their event
(``Delivery``, ``Delivery/Opened``, ``Complaint`` ...), ``Send/recent`` and ``Send/stale`` for a
message with no outcome yet, and ``none`` for an address or ID with no events. A key with no
text of its own falls back to its parent (``Bounce/contenterror/attachment`` reads as
``Bounce/contenterror`` when it has none). Texts are ``str.format`` templates over the facts
``seslog.why`` passes; the SES behaviour they state is from the SES developer guide's pages on
event publishing, bounces, the suppression lists and the sending quotas.
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
    reason: str | None = None
    """The reason of a verdict no reply decides (a delivery, a complaint ...); a bounce's comes from its diagnosis."""
    actor: str | None = None
    """Who must act on such a verdict."""


_SPAM_FOLDER = (
    "Ask the recipient to look in their spam or junk folder and quarantine, to check their filtering and forwarding rules, "
    "and to search the exact address {recipient} (mail to another alias or mailbox is a common mix-up)."
)
_REMOVE = "aws sesv2 delete-suppressed-destination --email-address {listed}{region_option}"
_SUPPRESSION_NOTE = (
    "If your account's suppression list collects bounces, SES has put {listed} on it and sends it nothing until it is removed."
)
_REFUSED = "The receiving server{server} refused the message {bounce_kind} at {event_time}, answering: {reply}."
_AUTHENTICATE = (
    "Make {sender_domain} authenticate in SES: Easy DKIM on and verified for the domain (aws sesv2 get-email-identity "
    "--email-identity {sender_domain}{region_option}), a custom MAIL FROM domain under it so that SPF aligns, and a DMARC record "
    "(dig TXT _dmarc.{sender_domain}; start with p=none). Then send again."
)
_REPUTATION = (
    "What you control: your bounce and complaint rates (seslog stats; SES's reputation dashboard), removing addresses that "
    "bounce, sending only to people who asked, and honouring unsubscribes. On SES's shared IP addresses you do not control "
    "the address itself; a dedicated IP pool gives you a reputation of your own."
)
_WAIT = "SES retries deferrals on its own; if this bounce ended it, send again later."
_DELAYED = " SES has been trying for {trying} and gives up at {expiration_time}."

VERDICTS: dict[str, Text] = {
    "Delivery": Text(
        "delivered",
        "The receiving server{server} accepted the message for {recipient} at {event_time}, {after} after SES accepted it, "
        "answering: {smtp_response}. SES's part ends there: from now on the mail is the recipient's mail service's.",
        _SPAM_FOLDER,
        reason="delivered",
        actor="recipient",
    ),
    "Delivery/Opened": Text(
        "delivered and opened",
        "The receiving server{server} accepted the message for {recipient} at {event_time}, {after} after SES accepted it "
        "({smtp_response}), and it was opened {opens} time{opens_s}, last at {last_open}: it reached a mailbox and was shown "
        "(an open can also be a mail client or a privacy proxy loading its images, so it does not prove a person read it).",
        "Ask the recipient to search their whole mailbox (archive, other folders, other devices) for the subject; "
        "if they still do not see it, another person or program reads that mailbox.",
        reason="delivered",
        actor="recipient",
    ),
    "Delivery/Opened/shared": Text(
        "delivered; the message was opened, maybe by another of its recipients",
        "The receiving server{server} accepted the message for {recipient} at {event_time}, {after} after SES accepted it "
        "({smtp_response}). The message, sent to {destinations} addresses, was opened {opens} time{opens_s}, last at "
        "{last_open}; an open does not say which recipient opened it, so it does not show that {recipient} did.",
        _SPAM_FOLDER,
        reason="delivered",
        actor="recipient",
    ),
    "Bounce": Text(
        "bounced",
        "The receiving side returned the message at {event_time} ({bounce_type}/{bounce_subtype}): {reply}.",
        "Read the reply with the recipient or their mail administrator; check the address and send again if it was a passing fault.",
    ),
    "Bounce/userunknown": Text(
        "not delivered: the address does not exist",
        _REFUSED + " The address {recipient} does not exist at {domain}.",
        "Check the address for typos with the recipient, by another channel, and send to the corrected one. " + _SUPPRESSION_NOTE,
    ),
    "Bounce/hostunknown": Text(
        "not delivered: the domain takes no mail",
        "SES could not deliver to {domain} at {event_time}: {reply}. The domain does not exist or has no mail server.",
        "Check the domain part of {recipient} for typos with the recipient (gmial.com, docomo.ne.jo); nothing on your side can fix it.",
    ),
    "Bounce/hasmoved": Text(
        "not delivered: the address has moved",
        _REFUSED + " The mailbox has moved.",
        "Ask the recipient for their new address, or use the one the reply names, and update your records.",
    ),
    "Bounce/suspend": Text(
        "not delivered: the mailbox is disabled",
        _REFUSED + " The mailbox {recipient} exists but is disabled, inactive or suspended.",
        "Ask the recipient, by another channel, for an address they use; only they can get the mailbox reactivated.",
    ),
    "Bounce/mailboxfull": Text(
        "not delivered: the mailbox is full",
        "The recipient's mailbox was full: {reply}.{story}",
        "Ask the recipient to free space in their mailbox, then send again.",
    ),
    "Bounce/filtered": Text(
        "not delivered: the recipient's filter refused your mail",
        _REFUSED + " The address exists; the recipient's own reception filter (at Japanese carriers, domain-specified "
        "reception, ドメイン指定受信) refused mail from {sender_domain}.",
        "Ask the recipient to allow {sender_domain} in their reception settings (receive list, 受信リスト設定). The address "
        "exists: if SES put it on your account's suppression list, remove it once they have: " + _REMOVE,
    ),
    "Bounce/filtered/unconfirmed": Text(
        "not delivered: the address does not exist, or the recipient's filter refused your mail",
        _REFUSED + " {provider} says this both for an address that does not exist and for a subscriber whose reception "
        "filter (domain-specified reception, ドメイン指定受信) refuses the sender, and this bounce does not tell which.",
        "Ask the recipient, by another channel, whether {recipient} is right. If it is, ask them to allow {sender_domain} in "
        "their reception settings (受信リスト設定), then take the address off your account's suppression list if SES put "
        "it there: " + _REMOVE,
    ),
    "Bounce/authfailure": Text(
        "not delivered: your mail failed authentication (SPF, DKIM, DMARC)",
        _REFUSED + " It did not pass the sender authentication checks for {sender_domain}: the address is fine, the fix "
        "is on your side.",
        _AUTHENTICATE,
    ),
    "Bounce/requireptr": Text(
        "not delivered: the sending IP address has no reverse DNS",
        _REFUSED + " The receiving side requires a reverse DNS (PTR) name for the sending IP address.",
        "SES's shared sending addresses have reverse DNS; with dedicated or BYOIP addresses, check their PTR records. "
        "Otherwise the check failed in passing: send again, and if it persists ask the recipient's mail administrator.",
    ),
    "Bounce/blocked": Text(
        "not delivered: the sending IP address is blocked",
        _REFUSED + " The block is on the IP address SES sent from (a block list or the provider's own), not on the recipient.",
        "With dedicated IPs, look the address up at the list the reply names and ask for removal. " + _REPUTATION,
    ),
    "Bounce/badreputation": Text(
        "not delivered: your sending reputation is too low",
        _REFUSED + " The provider refuses or defers mail from this sender for its reputation (complaints, bounces, volume).",
        _REPUTATION,
    ),
    "Bounce/spamdetected": Text(
        "not delivered: judged to be spam",
        _REFUSED + " The receiving side's filter judged the message to be spam.",
        "Check the content: links and their domains, wording, images against text, an unsubscribe link, and that "
        "{sender_domain} passes SPF, DKIM and DMARC. The recipient's mail administrator can allow the sender.",
    ),
    "Bounce/policyviolation": Text(
        "not delivered: refused by the receiving side's policy",
        _REFUSED + " A policy of the receiving side refused it (not the address, not authentication).",
        "Read the reply for the policy it names; the recipient's mail administrator can allow {sender_domain}.",
    ),
    "Bounce/contenterror": Text(
        "not delivered: the content was refused",
        _REFUSED + " The receiving side refused the content.",
        "Check the message's headers, encoding and attachments against what the reply names, then send again.",
    ),
    "Bounce/contenterror/attachment": Text(
        "not delivered: an attachment was refused",
        _REFUSED + " The receiving side refused an attachment.",
        "Send without the attachment, or with another file type, or a link instead.",
    ),
    "Bounce/virusdetected": Text(
        "not delivered: malware was found",
        _REFUSED + " The receiving side found malware in the message.",
        "Scan what the message carries, remove what is infected, and send again.",
    ),
    "Bounce/securityerror": Text(
        "not delivered: refused as a security risk",
        _REFUSED + " The receiving side judged the message a security risk (its attachments, links or encryption).",
        "Remove executable or archived attachments and suspicious links, then send again.",
    ),
    "Bounce/notcompliantrfc": Text(
        "not delivered: the message breaks the mail standards",
        _REFUSED + " The message does not follow the mail standards (RFC 5322 headers, MIME).",
        "Check that the message has exactly one From, a Date and a Message-ID, and valid MIME; fix the code that builds it.",
    ),
    "Bounce/mesgtoobig": Text(
        "not delivered: the message is too large",
        _REFUSED + " The message is larger than the receiving side accepts.",
        "Send a smaller message: fewer or smaller attachments, or a link instead.",
    ),
    "Bounce/rejected": Text(
        "not delivered: your sender address was refused",
        _REFUSED + " The receiving side refused the sender's address or domain ({sender_domain}).",
        "Check that the From and MAIL FROM domains exist and take mail (MX), and that {sender_domain} is verified in SES.",
    ),
    "Bounce/speeding": Text(
        "not delivered: the receiving side limited the rate",
        _REFUSED + " The receiving side takes mail from this sender, or for this mailbox, only so fast.{story}",
        "Send again later, and spread large sends over time. " + _WAIT,
    ),
    "Bounce/toomanyconn": Text(
        "not delivered: too many connections",
        _REFUSED + " The receiving side refused more connections from the sending IP for now.",
        "Send again later. " + _WAIT,
    ),
    "Bounce/norelaying": Text(
        "not delivered: the receiving server does not take mail for the domain",
        _REFUSED + " The server that answered does not take mail for {domain} (relay denied): the domain's MX points elsewhere.",
        "The recipient's mail administrator must fix {domain}'s MX records; check the domain part of {recipient} too.",
    ),
    "Bounce/networkerror": Text(
        "not delivered: the receiving server could not be reached",
        _REFUSED + " The receiving server could not be reached, or the connection broke.{story}",
        "Send again later; if it fails again, the recipient's mail administrator must check {domain}'s mail servers.",
    ),
    "Bounce/systemerror": Text(
        "not delivered: the receiving server failed",
        _REFUSED + " The receiving server had an error of its own.{story}",
        "Send again later; if it fails again, the recipient's mail administrator must look at {domain}'s mail servers.",
    ),
    "Bounce/systemfull": Text(
        "not delivered: the receiving server is out of storage",
        _REFUSED + " The receiving server is out of storage.",
        "Send again later; the recipient's mail administrator must free storage.",
    ),
    "Bounce/notaccept": Text(
        "not delivered: the domain takes no mail",
        _REFUSED + " The receiving domain or server takes no mail.",
        "Confirm the address with the recipient: {domain} does not take mail.",
    ),
    "Bounce/expired": Text(
        "not delivered: SES gave up retrying",
        "SES kept trying from {sent_at} and gave up at {event_time}, {after} later.{story}",
        "{inner_next}",
    ),
    "Bounce/suppressed/account": Text(
        "not sent: on your account's suppression list",
        "SES did not even try to deliver: {listed} is on this account's suppression list{listed_after}. "
        "SES recorded the bounce at {event_time}: {reply}.",
        "If the recipient confirms the address works now, remove it from the list and send again: " + _REMOVE,
    ),
    "Bounce/suppressed/global": Text(
        "not sent: on SES's global suppression list",
        "SES did not even try to deliver: {recipient} is on SES's global suppression list, because it recently hard-bounced "
        "for SES senders. SES recorded the bounce at {event_time}: {reply}.",
        "Nothing on your account lists it: SES takes addresses off the global list on its own after a while. "
        "Confirm the address with the recipient, or ask for another one.",
    ),
    "Bounce/undefined": Text(
        "bounced: the reply does not say why",
        "The receiving side returned the message {bounce_kind} at {event_time} ({bounce_type}/{bounce_subtype}), "
        "answering: {reply}.",
        "Read the reply with the recipient's mail administrator; send again if the address is right.",
    ),
    "DeliveryDelay": Text(
        "not delivered yet: SES is still trying",
        "The receiving side deferred the message ({delay_type}).{story}" + _DELAYED,
        "Wait: SES retries on its own until then and publishes a Delivery or a Bounce. Look again later with the same command.",
        actor="wait",
    ),
    "DeliveryDelay/General": Text(
        "not delivered yet: deferred by the receiving side",
        "A failure in the conversation with the receiving server delayed the message.{story}" + _DELAYED,
        "Wait: SES retries on its own until then. If it keeps failing, the words above say who can fix it.",
        actor="wait",
    ),
    "DeliveryDelay/Undetermined": Text(
        "not delivered yet: deferred, reason not determined",
        "SES could not determine why the message is delayed.{story}" + _DELAYED,
        "Wait: SES retries on its own until then and publishes a Delivery or a Bounce.",
        actor="wait",
    ),
    "DeliveryDelay/InternalFailure": Text(
        "not delivered yet: a fault inside SES",
        "An internal fault in SES delayed the message.{story}" + _DELAYED,
        "Wait: SES retries on its own. If many messages show this, check the AWS Health Dashboard for SES in the region.",
        actor="wait",
    ),
    "DeliveryDelay/MailboxFull": Text(
        "not delivered yet: the mailbox is full",
        "The recipient's mailbox is full.{story}" + _DELAYED,
        "Ask the recipient to free space in their mailbox; SES keeps retrying until then.",
        actor="recipient",
    ),
    "DeliveryDelay/SpamDetected": Text(
        "not delivered yet: too much unsolicited mail from your account",
        "The receiving server detected a large amount of unsolicited mail from your account and defers it.{story}" + _DELAYED,
        _REPUTATION,
        actor="sender-reputation",
    ),
    "DeliveryDelay/RecipientServerError": Text(
        "not delivered yet: the receiving server has a problem",
        "The receiving server answered with an error of its own.{story}" + _DELAYED,
        "Wait: SES retries. If it persists, the recipient's mail administrator must look at {domain}'s mail servers.",
        actor="wait",
    ),
    "DeliveryDelay/IPFailure": Text(
        "not delivered yet: the sending IP address is blocked or limited",
        "The receiving server refused or limited the IP address SES sent from.{story}" + _DELAYED,
        "SES retries, possibly from other addresses. With dedicated IPs, check their reputation and the block lists; "
        + _REPUTATION,
        actor="sender-reputation",
    ),
    "DeliveryDelay/TransientCommunicationFailure": Text(
        "not delivered yet: the receiving server could not be reached",
        "SES could not talk to the receiving server (a timeout or a broken connection).{story}" + _DELAYED,
        "Wait: SES retries on its own. If it persists, the recipient's mail administrator must check {domain}'s MX and servers.",
        actor="wait",
    ),
    "DeliveryDelay/BYOIPHostNameLookupUnavailable": Text(
        "not delivered yet: the hostname of your own IP address could not be looked up",
        "SES could not look up the hostname of the sending IP address you brought to AWS (BYOIP).{story}" + _DELAYED,
        "Check the reverse DNS (PTR) of your BYOIP addresses; SES retries until then.",
        actor="sender-domain",
    ),
    "DeliveryDelay/SendingDeferral": Text(
        "not delivered yet: SES itself deferred sending",
        "SES deferred sending the message itself.{story}" + _DELAYED,
        "Wait: SES retries on its own. If many messages show this, check the account's sending status (aws sesv2 get-account).",
        actor="ses-account",
    ),
    "DeliveryDelay/gave-up": Text(
        "not delivered: SES has given up, and its last word is not in the days read",
        "SES deferred the message ({delay_type}).{story} Its time to deliver ran out at {expiration_time}, {expired_ago} "
        "ago, so SES has given up and published a Bounce (or, at the last moment, a Delivery) that the days read do not hold.",
        "Read the days after {expiration_time} too: widen the range with --until (for a local copy, fetch those days first "
        "with seslog download). The last reply above says who can fix the cause.",
        actor="wait",
    ),
    "Complaint": Text(
        "delivered, then marked as spam",
        "The recipient reported the message as spam at {event_time} ({complaint_type}). It had reached their mailbox.",
        "Do not send them bulk mail again. If your account's suppression list collects complaints, SES has added {listed} "
        "to it and will not send to it until it is removed; if they need this mail, ask them to mark it as not spam.",
        reason="feedback",
        actor="sender-reputation",
    ),
    "Reject": Text(
        "not sent: SES rejected it",
        "SES accepted the call but rejected the message at {event_time} without sending it to anyone: {reject_reason} "
        "(SES found a virus in it).",
        "Scan the attachments, remove what is infected, and send again.",
        reason="virusdetected",
        actor="sender-content",
    ),
    "Rendering Failure": Text(
        "not sent: the template did not render",
        "SES could not render template {template_name} at {event_time} and sent nothing: {template_error}.",
        "Fix the template data (every variable the template names must be given, with the right type) and send again.",
        reason="contenterror",
        actor="sender-content",
    ),
    "Send/recent": Text(
        "accepted by SES, no outcome yet",
        "SES accepted the message at {sent_at}, {ago} ago, and no Delivery, Bounce or Delay is logged yet.",
        "Events reach the log within minutes: Firehose holds them for up to the stack's buffer interval (bufferIntervalSeconds). "
        "Look again in a few minutes.",
        reason="onhold",
        actor="wait",
    ),
    "Send/stale": Text(
        "accepted by SES, no outcome logged",
        "SES accepted the message at {sent_at}, {ago} ago, and no Delivery, Bounce or Delay is logged for {recipient}.",
        "Deliveries and bounces are logged within minutes, delays within hours. Check that the stack publishes DELIVERY, "
        "BOUNCE and DELIVERY_DELAY (config eventTypes), and widen the range with --until in case the events are later.",
        reason="undefined",
        actor="ses-account",
    ),
    "Open": Text(
        "delivered and opened",
        "The message was opened at {event_time}; its Send is outside the range, so it was sent earlier.",
        "Ask the recipient to search their mailbox for it; widen the range with --from to see how it was sent.",
        reason="delivered",
        actor="recipient",
    ),
    "none": Text(
        "no trace in this log",
        "No event in this log matches {subject} {range}.",
        "Go through the reasons mail leaves no trace here, in this order:",
    ),
}

STORY = {
    "one": " The receiving side said at {first_time}: {first_reply} ({first_reason}).",
    "two": " The receiving side first said at {first_time}: {first_reply} ({first_reason}); and last, at {last_time}: "
    "{last_reply} ({last_reason}).",
}
"""What the receiving side said while SES retried (``{story}`` in a delay's or a soft bounce's text): its first and last reply."""

OTHERS = {
    "alone": "No other {at} recipient failed with {reason} {range}",
    "recipient": ": it is about this address.",
    "many": "{count} other {at} recipient{s} failed with {reason} {range}",
    "sender": ": this is about your {about}, not this user.",
}
"""Whether a failure is one address's or many: how many other recipients at the same provider had the same reason
(``{at}``: a named provider, all its domains, or the recipient's domain)."""
SENDER_SIDE = {
    "sender-domain": "sending domain",
    "sender-content": "message",
    "sender-reputation": "sending reputation",
    "ses-account": "SES account",
}

_COGNITO_UPDATE = " (aws cognito-idp update-user-pool resets what it is not given: pass the pool's whole configuration)"

COGNITO: dict[str, Text] = {
    "unverified/recipient": Text(
        "Cognito could not send: the SES account is in the sandbox",
        "At {time} Cognito asked SES to send user pool {pool}'s message and SES refused, naming {recipient} among the "
        "identities that are not verified: only an account in the SES sandbox checks a recipient. Cognito's words: {details}",
        "Request production access for the SES account in {ses_region_text} (SES console, Account dashboard), or, to test "
        "until then, verify {recipient} in SES. Then have the user ask for the code again.",
        reason="sandbox",
        actor="ses-account",
    ),
    "unverified/sender": Text(
        "Cognito could not send: the sending identity is not verified",
        "At {time} Cognito asked SES to send user pool {pool}'s message and SES refused: {identities} is not verified in "
        "that Region. Cognito's words: {details}",
        "Verify {identities} in SES in the Region the pool's SourceArn names (or point SourceArn at a verified identity in "
        "a Region Cognito accepts for the pool); seslog check-cognito {pool} shows which." + _COGNITO_UPDATE,
        reason="unverified-identity",
        actor="cognito-pool",
    ),
    "unverified": Text(
        "Cognito could not send: SES found an identity not verified",
        "At {time} Cognito asked SES to send user pool {pool}'s message and SES refused, naming {identities} as not "
        "verified: the pool's sending address, or, while the account is in the sandbox, a recipient. Cognito's words: "
        "{details}",
        "Run seslog check-cognito {pool}: it says whether the pool's identity is verified and whether the account is in "
        "the sandbox; verify the identity, or request production access.",
        reason="unverified-identity",
        actor="cognito-pool",
    ),
    "mail-from": Text(
        "Cognito could not send: the MAIL FROM domain is not verified",
        "At {time} SES refused user pool {pool}'s message because the identity's custom MAIL FROM domain is not set up. "
        "Cognito's words: {details}",
        "Publish the MAIL FROM domain's MX and SPF records (aws sesv2 get-email-identity shows MailFromAttributes), or set "
        "the identity to fall back to amazonses.com when MAIL FROM fails.",
        reason="unverified-identity",
        actor="sender-domain",
    ),
    "paused": Text(
        "Cognito could not send: SES has paused the account's sending",
        "At {time} SES refused user pool {pool}'s message: the account's sending is paused, and every mail fails until SES "
        "resumes it. Cognito's words: {details}",
        "Read the notice SES sent to the account's email address and the Reputation dashboard (aws sesv2 get-account), "
        "fix what it names, and ask SES to review the pause.",
        reason="paused",
        actor="ses-account",
    ),
    "quota": Text(
        "Cognito could not send: the SES daily quota was used up",
        "At {time} SES refused user pool {pool}'s message: the account had sent its 24-hour quota. SES drops such a "
        "message and does not try again. Cognito's words: {details}",
        "Request a higher sending quota (SES console, Account dashboard; aws sesv2 get-account shows Max24HourSend), then "
        "have the user ask for the code again.",
        reason="quota-exceeded",
        actor="ses-account",
    ),
    "throttled": Text(
        "Cognito could not send: SES's sending rate was exceeded",
        "At {time} SES refused user pool {pool}'s message: the account was sending faster than its maximum rate, and SES "
        "drops such a message. Cognito's words: {details}",
        "Request a higher maximum send rate for the account, or spread what else sends through it; the user can ask for "
        "the code again now.",
        reason="throttled",
        actor="ses-account",
    ),
    "cognito-quota": Text(
        "Cognito could not send: its own daily email limit was reached",
        "At {time} user pool {pool} had sent as many messages as Cognito's default email (COGNITO_DEFAULT) allows in a "
        "day; nothing of it reaches your SES account. Cognito's words: {details}",
        "Set the pool to send through your SES identity (EmailSendingAccount DEVELOPER, SourceArn, ConfigurationSet this "
        "stack's set)" + _COGNITO_UPDATE + ".",
        reason="quota-exceeded",
        actor="cognito-pool",
    ),
    "configuration-set": Text(
        "Cognito could not send: the pool names a configuration set that does not exist",
        "At {time} SES refused user pool {pool}'s message: the configuration set the pool names does not exist in the "
        "identity's Region. Cognito's words: {details}",
        "Set the pool's ConfigurationSet to this stack's set" + _COGNITO_UPDATE + "; seslog check-cognito {pool} shows it.",
        reason="configuration",
        actor="cognito-pool",
    ),
    "not-authorized": Text(
        "Cognito could not send: it may not use the SES identity",
        "At {time} SES refused user pool {pool}'s message: Cognito is not allowed to send as the identity. Cognito's words: "
        "{details}",
        "In DEVELOPER mode Cognito calls SES through the account's service-linked role "
        "AWSServiceRoleForAmazonCognitoIdpEmailService (aws iam create-service-linked-role --aws-service-name "
        "email.cognito-idp.amazonaws.com if it is gone); a pool in a Region without SES also needs the identity's sending "
        "authorization policy to trust cognito-idp.<pool Region>.amazonaws.com. seslog check-cognito {pool} checks both.",
        reason="not-authorized",
        actor="cognito-pool",
    ),
    "suppressed": Text(
        "Cognito could not send: the address is on a suppression list",
        "At {time} SES refused user pool {pool}'s message to an address on a suppression list. Cognito's words: {details}",
        "Look the address up (aws sesv2 get-suppressed-destination --email-address ADDRESS) and remove it once the "
        "mailbox works again.",
        reason="suppressed",
        actor="ses-account",
    ),
    "bad-address": Text(
        "Cognito could not send: SES refused the address as malformed",
        "At {time} SES refused user pool {pool}'s message: the address is not one SES can send to. Cognito's words: {details}",
        "Have the user correct the email attribute (a typo, a space, a missing domain); validate it at sign-up.",
        reason="syntaxerror",
        actor="recipient",
    ),
    "sms": Text(
        "an SMS message Cognito could not send",
        "At {time} user pool {pool} could not send an SMS message: not about email. Cognito's words: {details}",
        "See the pool's SMS settings (SNS role, spending limit, sandbox) if users also miss text messages.",
        reason="sms",
    ),
    "other": Text(
        "Cognito could not send a message",
        "At {time} user pool {pool} logged a message-delivery error this tool does not recognise. Cognito's words: {details}",
        "Read Cognito's words above; seslog check-cognito {pool} checks the pool's whole email set-up.",
        reason="undefined",
    ),
}
"""What each kind of Cognito message-delivery error (``seslog.cognito.kinds``) means, and what to do. Facts: ``{time}``,
``{pool}``, ``{details}``, ``{recipient}``, ``{identities}``, ``{ses_region_text}``."""

COGNITO_SCOPE = {
    "named": "Cognito logged {count} message-delivery error{s} naming {address} {range}:",
    "pool": (
        "Cognito logged {count} message-delivery error{s} of its user pools {range}. Its log does not name recipients and "
        "none of these texts names {address}, so any of them may or may not be this address's mail:"
    ),
    "quiet": "Cognito's message-delivery error log holds no error of its user pools {range}.",
}
"""How the answer introduces what Cognito's error log holds for the range (``seslog.cognito``)."""

CHECKLIST: tuple[tuple[str, str], ...] = (
    (
        (
            "It was sent without this configuration set: a Cognito user pool in COGNITO_DEFAULT mode sends through Cognito's "
            "own SES, and a DEVELOPER pool or an application that names no set uses the identity's default set, if any."
        ),
        (
            "seslog check-cognito POOL_ID (a user pool's whole email set-up); "
            "aws sesv2 get-email-identity --email-identity DOMAIN --query ConfigurationSetName"
        ),
    ),
    (
        (
            "Cognito never handed it to SES: it may stop sending more mail to one address in a short time (repeated "
            "sign-up codes, password resets), and the user pool's message-delivery error log says so."
        ),
        "{cognito_log}",
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
question over a longer range; ``{cognito_log}``: what this stack's Cognito error log said, or how to read the pool's)."""

COGNITO_LOG_CHECK = {
    "read": "this answer read Cognito's message-delivery error log for the range (above)",
    "elsewhere": (
        "aws cognito-idp get-log-delivery-configuration --user-pool-id POOL_ID (where the pool's userNotification errors "
        "go); the stack setting cognitoUserPoolIds collects them beside the SES events"
    ),
}
"""The Cognito item's check: whether the stack collects the error log (and the answer read it) or not."""


def text_key(key: str) -> str:
    """The key whose text a verdict ``key`` reads: itself, else its nearest parent that has one."""
    while key not in VERDICTS and "/" in key:
        key = key.rsplit("/", 1)[0]
    if key not in VERDICTS:
        raise KeyError(f"no verdict text for {key!r}")
    return key
