"""Every setting of a pipeline: its config key, type, default and rules, and its validation.

Plain Python, no Pulumi: the same rules serve the stack config read by ``__main__.py`` and
the inputs of ``SesEventLogPipeline`` when another program uses the component. Validation
runs before any resource is registered and reports every problem at once.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seslog.eventlog.addresses import EMAIL_ADDRESS
from seslog.eventlog.events import API_NAMES
from seslog.eventlog.formats import DEFAULT_FORMAT, FORMATS, Format
from seslog.eventlog.partitioning import (
    ACTIVE_PARTITIONS_LIMIT,
    DEFAULT_LATE_DAYS,
    DEFAULT_SCHEME,
    SCHEMES,
    Scheme,
    max_late_days,
    scheme_for,
)
from seslog.eventlog.reputation import BOUNCE_REVIEW_RATE, COMPLAINT_REVIEW_RATE

MIB = 1024 * 1024

# CloudWatch Logs PutRetentionPolicy accepts only these values (CloudWatch Logs API reference).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

# Storage classes Athena can still read; it skips or fails on GLACIER and DEEP_ARCHIVE objects.
# S3 moves objects to the two IA classes only once they are 30 days old.
TRANSITION_MIN_DAYS = {"STANDARD_IA": 30, "ONEZONE_IA": 30, "INTELLIGENT_TIERING": 0, "GLACIER_IR": 0}

CONFIGURATION_SET_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")  # SES v2 API reference
DOMAIN_NAME = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
SNS_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
PERCENTAGE = re.compile(r"(\d+(\.\d+)?)%")
# The API names SES v2 uses for the events most worth hearing about as they happen.
RECOMMENDED_NOTIFY_EVENT_TYPES = ("BOUNCE", "COMPLAINT", "REJECT", "RENDERING_FAILURE")
# SetLogDeliveryConfiguration's UserPoolId (Cognito user pools API reference): 1-55 characters; the ID is
# <region>_<letters and digits>; the pattern's \w is ASCII only.
USER_POOL_ID = re.compile(r"[\w-]+_[0-9a-zA-Z]+", re.ASCII)
USER_POOL_ID_MAX = 55
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})")
ATHENA_MIN_CUTOFF_MIB = 10  # Athena's BytesScannedCutoffPerQuery minimum is 10 MB.
INT32_MAX = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# S3 lifecycle rules' Days (Expiration, Transition, NoncurrentVersionExpiration) are 32-bit
# integers (S3 API reference, LifecycleExpiration.Days: Integer).
S3_MAX_DAYS = INT32_MAX
# Athena's BytesScannedCutoffPerQuery is a 64-bit integer (Long) of bytes (Athena API reference).
ATHENA_MAX_CUTOFF_MIB = INT64_MAX // MIB
# What the Pulumi CLI takes for an integer: Go's strconv.Atoi, a sign and decimal digits, 64 bits.
CLI_INTEGER = re.compile(r"[-+]?[0-9]+")
INTEGER = f"an integer: digits with an optional sign, from {INT64_MIN} to {INT64_MAX} (what the Pulumi CLI takes)"
# IAM and the tagging APIs take tag keys and values of these characters only:
# [\p{L}\p{Z}\p{N}_.:/=+\-@]* (IAM API reference, Tag), and keys of 1-128, values of 0-256 characters.
TAG_PUNCTUATION = "_.:/=+-@"
TAG_KEY_MAX, TAG_VALUE_MAX = 128, 256
# A plausible address for an SNS email subscription: an RFC 5322 dot-atom of at most 64
# characters, then a domain name (labels of 1-63 letters, digits and inner hyphens).
EMAIL_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# Partitions other than "aws", by the prefix of their regions' names (AWS General Reference, "ARNs").
PARTITION_REGION_PREFIXES = (
    ("aws-cn", "cn-"),
    ("aws-us-gov", "us-gov-"),
    ("aws-iso-b", "us-isob-"),
    ("aws-iso-e", "eu-isoe-"),
    ("aws-iso-f", "us-isof-"),
    ("aws-iso", "us-iso-"),
    ("aws-eusc", "eusc-"),
)


@dataclass(frozen=True)
class Key:
    name: str
    """The config key and component input name (camelCase)."""
    type: str
    """Pulumi project config type: string, integer, boolean or array."""
    default: Any
    description: str

    @property
    def arg(self) -> str:
        """The Python (snake_case) name in the component's args."""
        return re.sub(r"([A-Z])", r"_\1", self.name).lower()


KEYS: tuple[Key, ...] = (
    Key("format", "string", DEFAULT_FORMAT, "Storage format of event objects: json (GZIP JSON lines), parquet or orc."),
    Key(
        "partitioning",
        "string",
        DEFAULT_SCHEME,
        "Partitioning scheme: none, date, hour, event-type or send-date (retentionDays at most 247 with send-date).",
    ),
    Key("eventTypes", "array", list(API_NAMES), "SES event types to publish (SES v2 names); all ten by default."),
    Key("retentionDays", "integer", DEFAULT_LATE_DAYS, "Days an event object is kept before it expires."),
    Key("noncurrentRetentionDays", "integer", 7, "Days an overwritten or deleted object version is kept; at most retentionDays."),
    Key("transitionDays", "integer", 0, "Days after which objects move to transitionStorageClass; 0 keeps them in S3 Standard."),
    Key(
        "transitionStorageClass",
        "string",
        "STANDARD_IA",
        "Cheaper storage class Athena can still read: STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING or GLACIER_IR.",
    ),
    Key(
        "bufferSizeMib",
        "integer",
        64,
        "Firehose buffer size in MiB (1-128; at least 64 with parquet, orc, event-type or send-date).",
    ),
    Key(
        "bufferIntervalSeconds",
        "integer",
        300,
        "Firehose buffer interval in seconds (0-900; not 0 with event-type or send-date).",
    ),
    Key("compression", "string", "", "Compression; empty for the format's default (json: GZIP; parquet, orc: SNAPPY)."),
    Key("errorLogRetentionDays", "integer", 30, "Retention of the Firehose error log group, in a value CloudWatch Logs accepts."),
    Key(
        "configurationSetName",
        "string",
        "",
        "Name of the SES configuration set to create; empty for the pipeline's name (<project>-<stack>).",
    ),
    Key(
        "existingConfigurationSetName",
        "string",
        "",
        "Name of an existing configuration set to add the event destination to, instead of creating one.",
    ),
    Key("requireTls", "boolean", True, "Make the created configuration set deliver only over TLS (tlsPolicy REQUIRE)."),
    Key("kmsKeyArn", "string", "", "ARN of an existing customer-managed KMS key; empty to create one with rotation."),
    Key("kmsDeletionWindowDays", "integer", 30, "Waiting period (7-30 days) before a deleted pipeline key is destroyed."),
    Key("protectData", "boolean", True, "Protect the bucket and key from deletion (protect and retainOnDelete)."),
    Key("forceDestroy", "boolean", False, "Let `pulumi destroy` delete a non-empty bucket; only when protectData is false."),
    Key(
        "athenaBytesScannedCutoffMib",
        "integer",
        10240,
        "Athena workgroup: a query that would scan more than this many MiB is cancelled (at least 10).",
    ),
    Key("athenaResultsRetentionDays", "integer", 7, "Days Athena query results are kept."),
    Key("tags", "array", [], "Tags for every resource, as Key=Value strings."),
    Key(
        "defaultForIdentities",
        "array",
        [],
        "Existing verified SES identities (domains or email addresses) whose default configuration set becomes this one, so mail sent without naming it is logged too.",
    ),
    Key(
        "alarmEmail",
        "string",
        "",
        "Email address subscribed to the alarm topic; setting it or alarmTopicArn turns the alarms on.",
    ),
    Key(
        "alarmTopicArn",
        "string",
        "",
        "ARN of an existing SNS topic for the alarms instead of a created one; setting it or alarmEmail turns the alarms on.",
    ),
    Key(
        "bounceRateAlarmThreshold",
        "string",
        f"{BOUNCE_REVIEW_RATE:.0%}",
        "Account bounce rate (Reputation.BounceRate) at which the bounce alarm fires, as a percentage such as 5% (SES reviews accounts from 5%).",
    ),
    Key(
        "complaintRateAlarmThreshold",
        "string",
        f"{COMPLAINT_REVIEW_RATE:.1%}",
        "Account complaint rate (Reputation.ComplaintRate) at which the complaint alarm fires, as a percentage such as 0.1% (SES reviews accounts from 0.1%).",
    ),
    Key("notify", "boolean", False, "Publish notifyEventTypes to SNS as they happen, to notifyTopicArn or the alarm topic."),
    Key(
        "notifyEventTypes",
        "array",
        list(RECOMMENDED_NOTIFY_EVENT_TYPES),
        "SES event types published to SNS as they happen, when notify is true.",
    ),
    Key("notifyTopicArn", "string", "", "ARN of an existing SNS topic for the notifications; empty to use the alarm topic."),
    Key(
        "compaction",
        "boolean",
        True,
        "Compact the events hourly into tables shaped like a recipient's and a message's lookups (a Lambda function); false keeps only the raw layout.",
    ),
    Key(
        "cognitoUserPoolIds",
        "array",
        [],
        "Cognito user pools (IDs, in the stack's Region) whose message-delivery errors are kept in the bucket (table cognito_errors); the stack takes over each pool's log delivery configuration.",
    ),
)

BY_NAME: dict[str, Key] = {k.name: k for k in KEYS}


class SettingsError(ValueError):
    """Every problem found in a pipeline's settings, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid SES event log settings:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    format: Format
    scheme: Scheme
    event_types: tuple[str, ...]
    retention_days: int
    noncurrent_retention_days: int
    transition_days: int
    transition_storage_class: str
    buffer_size_mib: int
    buffer_interval_seconds: int
    compression: str
    error_log_retention_days: int
    configuration_set_name: str
    existing_configuration_set: bool
    require_tls: bool
    kms_key_arn: str | None
    kms_deletion_window_days: int
    protect_data: bool
    force_destroy: bool
    athena_bytes_scanned_cutoff_mib: int
    athena_results_retention_days: int
    tags: dict[str, str]
    default_for_identities: tuple[str, ...]
    alarm_email: str | None
    alarm_topic_arn: str | None
    bounce_rate_alarm_threshold: float
    """A fraction, as CloudWatch has the metric: 0.05 is 5 %."""
    complaint_rate_alarm_threshold: float
    notify: bool
    notify_event_types: tuple[str, ...]
    notify_topic_arn: str | None
    cognito_user_pool_ids: tuple[str, ...]
    compaction: bool

    @property
    def alarms(self) -> bool:
        return bool(self.alarm_email or self.alarm_topic_arn)


class _Reader:
    """Reads values by key, coercing config strings to the key's type and noting problems."""

    def __init__(self, values: Mapping[str, Any], python_names: bool):
        self.values = values
        self.python_names = python_names
        self.problems: list[str] = []
        self._read: dict[str, Any] = {}
        self._bad: set[str] = set()

    def problem(self, key: str, value: Any, allowed: str) -> None:
        self.problems.append(f"{key} = {value!r}: {allowed}")
        self._bad.add(key)

    def ok(self, *names: str) -> bool:
        """No problem was found with these keys, so a rule relating another key to them can be
        judged: otherwise it would be judged against a value nobody gave (the default in place
        of a malformed one) or one already refused, and only the root cause is worth reading."""
        return not self._bad.intersection(names)

    def get(self, name: str) -> Any:
        if name not in self._read:
            self._read[name] = self._coerced(name)
        return self._read[name]

    def _coerced(self, name: str) -> Any:
        key = BY_NAME[name]
        value = self.values.get(name)
        if value is None and self.python_names:
            value = self.values.get(key.arg)
        if value is None:
            return key.default
        if key.type == "integer" and isinstance(value, str) and re.fullmatch(r"[-+]?0[0-9]+", value):
            # The Pulumi CLI passes the text as written, read here as decimal; YAML 1.1 tools read it as octal.
            self.problem(name, value, "must be an integer written without leading zeros")
            return key.default
        try:
            return _coerce(key.type, value)
        except ValueError:
            allowed = {"integer": INTEGER, "array": "an array", "boolean": "a boolean: true or false"}.get(key.type, "a string")
            self.problem(name, value, f"must be {allowed}")
            return key.default


def _coerce(type_: str, value: Any) -> Any:
    if type_ == "string":
        if not isinstance(value, str):
            raise ValueError
        return value
    if type_ == "integer":
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, float) and value.is_integer():  # protobuf numbers arrive as floats
            value = int(value)
        elif isinstance(value, str) and CLI_INTEGER.fullmatch(value):
            # As the CLI's type check (strconv.Atoi) takes it: "+30" is 30; " 30" and "3e1" are refused.
            value = int(value)
        if isinstance(value, int) and INT64_MIN <= value <= INT64_MAX:
            return value
        raise ValueError
    if type_ == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError from exc
    if isinstance(value, (Mapping, list, tuple)):
        return value
    raise ValueError


def _one_of(allowed: Any) -> str:
    return "allowed: " + ", ".join(str(a) for a in allowed)


def _partition_of(region: str) -> str:
    return next((partition for partition, prefix in PARTITION_REGION_PREFIXES if region.startswith(prefix)), "aws")


def _unknown(r: _Reader, values: Mapping[str, Any], known: set[str]) -> None:
    for name in sorted(set(values) - known):
        close = difflib.get_close_matches(name, list(BY_NAME), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        r.problem(name, values[name], f"unknown setting; {hint}" + _one_of(BY_NAME))


def parse(
    values: Mapping[str, Any], default_configuration_set_name: str, region: str | None = None, *, stack_config: bool = False
) -> Settings:
    """Validate raw settings (config strings, or typed component inputs, by camelCase or
    snake_case name) and return them typed; raise SettingsError listing every problem.
    ``region`` is the stack's ``aws:region``; ``stack_config`` says the values are a stack's
    config, whose keys are the camelCase names only."""
    r = _Reader(values, python_names=not stack_config)
    _unknown(r, values, set(BY_NAME) if stack_config else set(BY_NAME) | {k.arg for k in KEYS})

    fmt = FORMATS.get(r.get("format"))
    if fmt is None:
        r.problem("format", r.get("format"), _one_of(FORMATS))
    scheme = SCHEMES.get(r.get("partitioning"))
    if scheme is None:
        r.problem("partitioning", r.get("partitioning"), _one_of(SCHEMES))

    event_types = _event_types(r, "eventTypes", required=True)

    retention = r.get("retentionDays")
    if retention < 1:
        r.problem("retentionDays", retention, "must be at least 1 day")
    elif retention > S3_MAX_DAYS:
        r.problem("retentionDays", retention, f"must be at most {S3_MAX_DAYS} days (S3 lifecycle days are 32-bit integers)")
    elif (
        scheme and r.ok("retentionDays") and scheme_for(scheme.name, retention).max_active_partitions() > ACTIVE_PARTITIONS_LIMIT
    ):
        # The send key files an event under its send day while its mail is kept, so every day
        # kept is a partition a late open can reopen: past the limit Firehose sends records to
        # the error prefix, where no query reads them.
        active = scheme_for(scheme.name, retention).max_active_partitions()
        r.problem(
            "retentionDays",
            retention,
            f"must be at most {max_late_days()} with partitioning {scheme.name}: late events of every day kept could open "
            f"{active} partitions at once, above Firehose's {ACTIVE_PARTITIONS_LIMIT} active partitions per stream",
        )
    noncurrent = r.get("noncurrentRetentionDays")
    if r.ok("noncurrentRetentionDays", "retentionDays"):
        if not 1 <= noncurrent <= retention:
            r.problem("noncurrentRetentionDays", noncurrent, f"must be 1 to retentionDays ({retention}) days")
    elif r.ok("noncurrentRetentionDays") and noncurrent < 1:
        r.problem("noncurrentRetentionDays", noncurrent, "must be at least 1 day")
    elif r.ok("noncurrentRetentionDays") and noncurrent > S3_MAX_DAYS:
        r.problem(
            "noncurrentRetentionDays", noncurrent, f"must be at most {S3_MAX_DAYS} days (S3 lifecycle days are 32-bit integers)"
        )

    transition_days = r.get("transitionDays")
    storage_class = r.get("transitionStorageClass")
    if storage_class not in TRANSITION_MIN_DAYS:
        r.problem(
            "transitionStorageClass",
            storage_class,
            _one_of(TRANSITION_MIN_DAYS) + " (Athena cannot read GLACIER or DEEP_ARCHIVE)",
        )
    elif transition_days and r.ok("retentionDays"):
        low = max(TRANSITION_MIN_DAYS[storage_class], 1)
        if not low <= transition_days < retention:
            r.problem(
                "transitionDays",
                transition_days,
                f"must be 0 (off) or from {low} (S3's minimum age for {storage_class}) to less than retentionDays ({retention})",
            )
    elif not 0 <= transition_days <= S3_MAX_DAYS:
        r.problem(
            "transitionDays",
            transition_days,
            f"must be 0 (off) or a number of days up to {S3_MAX_DAYS} (S3 lifecycle days are 32-bit integers)",
        )

    size = r.get("bufferSizeMib")
    interval = r.get("bufferIntervalSeconds")
    if not 1 <= size <= 128:
        r.problem("bufferSizeMib", size, "must be 1-128 MiB (Firehose)")
    elif fmt and fmt.converts and size < 64:
        r.problem("bufferSizeMib", size, f"must be at least 64 MiB with format {fmt.name} (Firehose record format conversion)")
    elif scheme and scheme.dynamic and size < 64:
        r.problem(
            "bufferSizeMib", size, f"must be at least 64 MiB with partitioning {scheme.name} (Firehose dynamic partitioning)"
        )
    if not 0 <= interval <= 900:
        r.problem("bufferIntervalSeconds", interval, "must be 0-900 seconds (Firehose)")
    elif scheme and scheme.dynamic and interval == 0:
        r.problem(
            "bufferIntervalSeconds", interval, f"must be above 0 with partitioning {scheme.name} (Firehose dynamic partitioning)"
        )

    compression = r.get("compression") or (fmt.default_compression if fmt else "")
    if fmt and compression not in fmt.compressions:
        r.problem("compression", compression, f"not allowed for format {fmt.name}; " + _one_of(fmt.compressions))

    log_retention = r.get("errorLogRetentionDays")
    if log_retention not in LOG_RETENTION_DAYS:
        r.problem("errorLogRetentionDays", log_retention, _one_of(LOG_RETENTION_DAYS) + " (CloudWatch Logs)")

    own_name = r.get("configurationSetName")
    existing_name = r.get("existingConfigurationSetName")
    if own_name and existing_name:
        r.problem(
            "existingConfigurationSetName",
            existing_name,
            "set either configurationSetName or existingConfigurationSetName, not both",
        )
    name_key = "existingConfigurationSetName" if existing_name else "configurationSetName"
    config_set_name = existing_name or own_name or default_configuration_set_name
    if not CONFIGURATION_SET_NAME.fullmatch(config_set_name):
        r.problem(name_key, config_set_name, "must be 1-64 characters of letters, digits, '_' and '-' (SES)")

    kms_key_arn = r.get("kmsKeyArn")
    if kms_key_arn and not KMS_KEY_ARN.fullmatch(kms_key_arn):
        r.problem("kmsKeyArn", kms_key_arn, "must be a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key id> (not an alias)")
    elif kms_key_arn:
        _check_key_region(r, kms_key_arn, region)
    deletion_window = r.get("kmsDeletionWindowDays")
    if not 7 <= deletion_window <= 30:
        r.problem("kmsDeletionWindowDays", deletion_window, "must be 7-30 days (KMS)")

    protect = r.get("protectData")
    force_destroy = r.get("forceDestroy")
    if protect and force_destroy and r.ok("protectData"):
        r.problem("forceDestroy", force_destroy, "cannot be true while protectData is true")

    cutoff = r.get("athenaBytesScannedCutoffMib")
    if cutoff < ATHENA_MIN_CUTOFF_MIB:
        r.problem("athenaBytesScannedCutoffMib", cutoff, f"must be at least {ATHENA_MIN_CUTOFF_MIB} MiB (Athena)")
    elif cutoff > ATHENA_MAX_CUTOFF_MIB:
        r.problem(
            "athenaBytesScannedCutoffMib",
            cutoff,
            f"must be at most {ATHENA_MAX_CUTOFF_MIB} MiB: Athena takes the cutoff in bytes as a 64-bit integer",
        )
    results_retention = r.get("athenaResultsRetentionDays")
    if not 1 <= results_retention <= S3_MAX_DAYS:
        r.problem(
            "athenaResultsRetentionDays",
            results_retention,
            f"must be 1 to {S3_MAX_DAYS} days (the results expire by an S3 lifecycle rule; its days are 32-bit integers)",
        )

    tags = _parse_tags(r, r.get("tags"))
    identities = _parse_identities(r, r.get("defaultForIdentities"))

    alarm_email = r.get("alarmEmail")
    if alarm_email and not _plausible_email(alarm_email):
        r.problem(
            "alarmEmail",
            alarm_email,
            "must be an email address, name@example.com: a name of at most 64 characters without leading, trailing "
            "or doubled dots, and a domain of labels of letters, digits and inner hyphens",
        )
    alarm_topic_arn = r.get("alarmTopicArn")
    _check_topic(r, "alarmTopicArn", alarm_topic_arn, region, "CloudWatch alarm actions must be in the alarm's region")
    bounce_rate = _parse_percentage(r, "bounceRateAlarmThreshold")
    complaint_rate = _parse_percentage(r, "complaintRateAlarmThreshold")

    notify = r.get("notify")
    notify_event_types = _event_types(r, "notifyEventTypes", required=notify)
    notify_topic_arn = r.get("notifyTopicArn")
    _check_topic(r, "notifyTopicArn", notify_topic_arn, region, "SES publishes events only to a topic in its own region")
    if notify and not (notify_topic_arn or alarm_email or alarm_topic_arn):
        r.problem(
            "notify", notify, "has no topic to publish to: set notifyTopicArn, or alarmEmail or alarmTopicArn for the alarm topic"
        )
    if notify_topic_arn and not notify and r.ok("notify"):
        r.problem("notifyTopicArn", notify_topic_arn, "is set but notify is false: set notify to true to publish to it")

    user_pool_ids = _parse_user_pool_ids(r, r.get("cognitoUserPoolIds"), region)

    if r.problems:
        raise SettingsError(r.problems)
    assert fmt is not None and scheme is not None
    return Settings(
        format=fmt,
        scheme=scheme,
        event_types=tuple(event_types),
        retention_days=retention,
        noncurrent_retention_days=noncurrent,
        transition_days=transition_days,
        transition_storage_class=storage_class,
        buffer_size_mib=size,
        buffer_interval_seconds=interval,
        compression=compression,
        error_log_retention_days=log_retention,
        configuration_set_name=config_set_name,
        existing_configuration_set=bool(existing_name),
        require_tls=r.get("requireTls"),
        kms_key_arn=kms_key_arn or None,
        kms_deletion_window_days=deletion_window,
        protect_data=protect,
        force_destroy=force_destroy,
        athena_bytes_scanned_cutoff_mib=cutoff,
        athena_results_retention_days=results_retention,
        tags=tags,
        default_for_identities=identities,
        alarm_email=alarm_email or None,
        alarm_topic_arn=alarm_topic_arn or None,
        bounce_rate_alarm_threshold=bounce_rate,
        complaint_rate_alarm_threshold=complaint_rate,
        notify=notify,
        notify_event_types=tuple(notify_event_types),
        notify_topic_arn=notify_topic_arn or None,
        cognito_user_pool_ids=user_pool_ids,
        compaction=r.get("compaction"),
    )


def _check_key_region(r: _Reader, kms_key_arn: str, region: str | None) -> None:
    """S3 (SSE-KMS), Firehose and CloudWatch Logs use only a key of their own region."""
    _, key_partition, _, key_region, *_ = kms_key_arn.split(":")
    if not region:
        r.problem(
            "kmsKeyArn",
            kms_key_arn,
            f"is a key in {key_region}, but the stack's aws:region is not set, so it cannot be checked: "
            f"set aws:region (pulumi config set aws:region {key_region}); S3, Firehose and CloudWatch Logs need a key in their own region",
        )
    elif key_region != region:
        r.problem(
            "kmsKeyArn",
            kms_key_arn,
            f"is a key in {key_region}, but the stack deploys to aws:region {region}; "
            "S3, Firehose and CloudWatch Logs need a key in their own region",
        )
    elif key_partition != _partition_of(region):
        r.problem(
            "kmsKeyArn",
            kms_key_arn,
            f"is in partition {key_partition}, but aws:region {region} is in partition {_partition_of(region)}",
        )


def _check_topic(r: _Reader, key: str, arn: str, region: str | None, why: str) -> None:
    """An SNS topic ARN, of the stack's region and partition when the region is known (the
    account is known only at deploy time: a topic of another account needs its policy to allow
    this one, which the program cannot see)."""
    if not arn:
        return
    if not SNS_TOPIC_ARN.fullmatch(arn):
        r.problem(key, arn, "must be an SNS topic ARN, arn:aws:sns:<region>:<account>:<topic name>")
        return
    _, partition, _, topic_region, *_ = arn.split(":")
    if region and topic_region != region:
        r.problem(key, arn, f"is a topic in {topic_region}, but the stack deploys to aws:region {region}; {why}")
    elif region and partition != _partition_of(region):
        r.problem(key, arn, f"is in partition {partition}, but aws:region {region} is in partition {_partition_of(region)}")


def _plausible_email(address: str) -> bool:
    local, _, domain = address.rpartition("@")
    return (
        EMAIL_ADDRESS.fullmatch(address) is not None
        and len(address) <= 254
        and len(local) <= 64
        and EMAIL_LOCAL_PART.fullmatch(local) is not None
        and DOMAIN_NAME.fullmatch(domain) is not None
    )


def _parse_identities(r: _Reader, raw: Any) -> tuple[str, ...]:
    """SES identity names: an email address or a domain, each at most once (SES compares them
    without regard to case)."""
    if not isinstance(raw, (list, tuple)):
        r.problem("defaultForIdentities", raw, "must be a list of SES identities (domains or email addresses)")
        return ()
    seen: set[str] = set()
    for identity in raw:
        if not isinstance(identity, str) or not (EMAIL_ADDRESS.fullmatch(identity) or DOMAIN_NAME.fullmatch(identity)):
            r.problem("defaultForIdentities", identity, "must be an SES identity: a domain (example.com) or an email address")
        elif identity.lower() in seen:
            r.problem("defaultForIdentities", identity, "is listed twice")
        else:
            seen.add(identity.lower())
    return tuple(raw)


def _parse_user_pool_ids(r: _Reader, raw: Any, region: str | None) -> tuple[str, ...]:
    """Cognito user pool IDs, each once and of the stack's Region: Cognito delivers a pool's logs only to a
    log group in the pool's own Region, and the stack creates that log group in its aws:region."""
    key = "cognitoUserPoolIds"
    if not isinstance(raw, (list, tuple)):
        r.problem(key, raw, "must be a list of Cognito user pool IDs, such as us-east-1_EXAMPLE")
        return ()
    seen: set[str] = set()
    for pool in raw:
        if not isinstance(pool, str) or not (1 <= len(pool) <= USER_POOL_ID_MAX and USER_POOL_ID.fullmatch(pool)):
            r.problem(
                key,
                pool,
                f"must be a Cognito user pool ID: 1-{USER_POOL_ID_MAX} characters matching [\\w-]+_[0-9a-zA-Z]+, "
                "<region>_<id> such as us-east-1_EXAMPLE (SetLogDeliveryConfiguration)",
            )
            continue
        if pool in seen:
            r.problem(key, pool, "is listed twice: a pool has one log delivery configuration")
            continue
        seen.add(pool)
        pool_region = pool.rsplit("_", 1)[0]
        if not region:
            r.problem(
                key,
                pool,
                f"is a pool in {pool_region}, but the stack's aws:region is not set, so it cannot be checked: set aws:region "
                f"(pulumi config set aws:region {pool_region}); Cognito delivers a pool's logs only to a log group in the pool's Region",
            )
        elif pool_region != region:
            r.problem(
                key,
                pool,
                f"is a pool in {pool_region}, but the stack deploys to aws:region {region}; Cognito delivers a pool's logs "
                "only to a log group in the pool's own Region: deploy a stack in that Region for it",
            )
    return tuple(raw)


def _parse_percentage(r: _Reader, key: str) -> float:
    """A rate written as a percentage ("5%", "0.1%"), returned as the fraction CloudWatch uses."""
    value = r.get(key)
    match = PERCENTAGE.fullmatch(value.strip())
    if not match or not 0 < float(match.group(1)) <= 100:
        r.problem(key, value, "must be a percentage above 0% and at most 100%, such as 5% or 0.1%")
        return 0.0
    return float(match.group(1)) / 100


def _percentage(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _event_types(r: _Reader, key: str, required: bool) -> list[str]:
    """A list of SES v2 event type names, each known and listed once."""
    names = r.get(key)
    if not isinstance(names, (list, tuple)) or (required and not names):
        r.problem(key, names, "must be a non-empty list; " + _one_of(API_NAMES))
        return []
    for name in names:
        if name not in API_NAMES:
            r.problem(key, name, "unknown event type; " + _one_of(API_NAMES))
    if len(set(names)) != len(names):
        r.problem(key, names, "lists an event type twice")
    return list(names)


def _parse_tags(r: _Reader, raw: Any) -> dict[str, str]:
    """Tags as a mapping, or as ``Key=Value`` strings (Pulumi project config has no map type)."""
    # Each pair with the entry as written, which is what a problem quotes.
    pairs: list[tuple[Any, str, str]] = []
    if isinstance(raw, Mapping):
        pairs = [(f"{key}={value}", str(key), str(value)) for key, value in raw.items()]
    else:
        for item in raw:
            if not isinstance(item, str) or "=" not in item:
                r.problem("tags", item, "each tag must be a Key=Value string")
                continue
            key, _, value = item.partition("=")
            pairs.append((item, key, value))
    tags: dict[str, str] = {}
    # By the key in lower case: IAM compares tag keys without regard to case, and refuses a
    # role tagged Env and env (IAM User Guide, "Rules for tagging").
    first: dict[str, tuple[str, Any]] = {}
    for written, key, value in pairs:
        key_chars, value_chars = _refused_tag_characters(key), _refused_tag_characters(value)
        if not 1 <= len(key) <= TAG_KEY_MAX or key.lower().startswith("aws:"):
            r.problem("tags", written, f"tag keys are 1-{TAG_KEY_MAX} characters and must not start with aws:")
        elif len(value) > TAG_VALUE_MAX:
            r.problem("tags", written, f"tag values are at most {TAG_VALUE_MAX} characters")
        elif key_chars or value_chars:
            where = " and ".join(
                f"its {part} has {', '.join(chars)}" for part, chars in (("key", key_chars), ("value", value_chars)) if chars
            )
            r.problem("tags", written, f"{where}; {TAG_CHARACTERS}")
        elif key.lower() in first:
            # AWS keeps one value per tag key: one of the two would be dropped without a word.
            first_key, first_written = first[key.lower()]
            same = "" if first_key == key else "; IAM treats tag keys without regard to case"
            r.problem("tags", written, f"tag key {key} is given twice (first as {first_written!r}){same}")
        else:
            first[key.lower()] = (key, written)
            tags[key] = value
    if len(tags) > 50:
        r.problem("tags", len(tags), "at most 50 tags per resource")
    return tags


TAG_CHARACTERS = (
    f"tag keys and values take letters, digits, spaces and {' '.join(TAG_PUNCTUATION)} only "
    "(AWS tags: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"
)


def _refused_tag_characters(text: str) -> list[str]:
    """The characters of a tag key or value that AWS refuses, each once, as repr and code point."""
    refused = dict.fromkeys(c for c in text if c not in TAG_PUNCTUATION and unicodedata.category(c)[0] not in "LZN")
    return [f"{c!r} (U+{ord(c):04X})" for c in refused]


def pipeline_args(values: Mapping[str, Any], default_configuration_set_name: str, region: str | None) -> dict[str, Any]:
    """Stack config values (strings, by config key: every key of the project's namespace) as
    typed component inputs, after validating them all; raises SettingsError."""
    s = parse(values, default_configuration_set_name, region, stack_config=True)
    return {
        "format": s.format.name,
        "partitioning": s.scheme.name,
        "event_types": list(s.event_types),
        "retention_days": s.retention_days,
        "noncurrent_retention_days": s.noncurrent_retention_days,
        "transition_days": s.transition_days,
        "transition_storage_class": s.transition_storage_class,
        "buffer_size_mib": s.buffer_size_mib,
        "buffer_interval_seconds": s.buffer_interval_seconds,
        "compression": s.compression,
        "error_log_retention_days": s.error_log_retention_days,
        (
            "existing_configuration_set_name" if s.existing_configuration_set else "configuration_set_name"
        ): s.configuration_set_name,
        "require_tls": s.require_tls,
        "kms_key_arn": s.kms_key_arn or "",
        "kms_deletion_window_days": s.kms_deletion_window_days,
        "protect_data": s.protect_data,
        "force_destroy": s.force_destroy,
        "athena_bytes_scanned_cutoff_mib": s.athena_bytes_scanned_cutoff_mib,
        "athena_results_retention_days": s.athena_results_retention_days,
        "tags": s.tags,
        "default_for_identities": list(s.default_for_identities),
        "alarm_email": s.alarm_email or "",
        "alarm_topic_arn": s.alarm_topic_arn or "",
        "bounce_rate_alarm_threshold": _percentage(s.bounce_rate_alarm_threshold),
        "complaint_rate_alarm_threshold": _percentage(s.complaint_rate_alarm_threshold),
        "notify": s.notify,
        "notify_event_types": list(s.notify_event_types),
        "notify_topic_arn": s.notify_topic_arn or "",
        "cognito_user_pool_ids": list(s.cognito_user_pool_ids),
        "compaction": s.compaction,
    }
