"""The one definition of an SES event record, as SES publishes it to Firehose.

Every field of every event type in the SES developer guide ("Contents of event data that
Amazon SES publishes to Firehose") is here, and the fields real records carry that the guide's
tables leave out (``remoteMtaIp``, marked below). The Glue table, and through it Firehose's
record format conversion and Athena, is built from this definition; nothing else in the
project spells out the schema.

Field names are the JSON keys. Glue lower-cases column and struct field names, and both
the OpenX JSON SerDe and Firehose's OpenX deserializer match keys case-insensitively, so
``eventType`` lands in column ``eventtype``. Map keys keep their case: tags such as
``ses:from-domain`` and the sender's own tags, whose names no schema can know in advance,
are kept whole in ``map<string,array<string>>`` columns.

Timestamps stay ISO 8601 strings (``2017-08-05T00:41:02.669Z``): they sort in time order
as text, read the same in every format, and round-trip exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class Type:
    def hive(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Primitive(Type):
    name: str

    def hive(self) -> str:
        return self.name


@dataclass(frozen=True)
class Array(Type):
    element: Type

    def hive(self) -> str:
        return f"array<{self.element.hive()}>"


@dataclass(frozen=True)
class Map(Type):
    value: Type

    def hive(self) -> str:
        return f"map<string,{self.value.hive()}>"


@dataclass(frozen=True)
class Field:
    name: str
    """The JSON key as SES writes it."""
    type: Type
    comment: str = ""

    @property
    def column(self) -> str:
        """The Glue (Hive) name: lower case."""
        return self.name.lower()


@dataclass(frozen=True)
class Struct(Type):
    fields: tuple[Field, ...]

    def hive(self) -> str:
        return "struct<" + ",".join(f"{f.column}:{f.type.hive()}" for f in self.fields) + ">"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


STRING = Primitive("string")
BIGINT = Primitive("bigint")
BOOLEAN = Primitive("boolean")
STRINGS = Array(STRING)
TAGS = Map(STRINGS)


DUCKDB_TYPES = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "boolean": "BOOLEAN"}
"""DuckDB's name for each Hive primitive the tables use."""


def duckdb_type(type_: Type, name: Callable[[Field], str] = lambda f: f.column) -> str:
    """The DuckDB type of a schema type, its struct fields named by ``name`` (Glue's by default)."""
    if isinstance(type_, Primitive):
        return DUCKDB_TYPES[type_.name]
    if isinstance(type_, Array):
        return f"{duckdb_type(type_.element, name)}[]"
    if isinstance(type_, Map):
        return f"MAP(VARCHAR, {duckdb_type(type_.value, name)})"
    if isinstance(type_, Struct):
        fields = (f'"{name(f).replace(chr(34), chr(34) * 2)}" {duckdb_type(f.type, name)}' for f in type_.fields)
        return "STRUCT(" + ", ".join(fields) + ")"
    raise TypeError(f"no DuckDB type for {type_!r}")


def struct(*fields: tuple[str, Type]) -> Struct:
    return Struct(tuple(Field(name, type_) for name, type_ in fields))


_TOPIC_PREFERENCES = struct(
    ("unsubscribeAll", BOOLEAN),
    ("topicSubscriptionStatus", Array(struct(("topicName", STRING), ("subscriptionStatus", STRING)))),
)

MAIL = struct(
    ("timestamp", STRING),
    ("messageId", STRING),
    ("source", STRING),
    ("sourceArn", STRING),
    ("sendingAccountId", STRING),
    ("destination", STRINGS),
    ("headersTruncated", BOOLEAN),
    ("headers", Array(struct(("name", STRING), ("value", STRING)))),
    (
        "commonHeaders",
        struct(
            ("from", STRINGS),
            ("to", STRINGS),
            ("cc", STRINGS),
            ("bcc", STRINGS),
            ("sender", STRINGS),
            ("replyTo", STRINGS),
            ("returnPath", STRING),
            ("date", STRING),
            ("messageId", STRING),
            ("subject", STRING),
        ),
    ),
    ("tags", TAGS),
)

# The detail object of each event type, keyed as in the record (see events.EVENT_TYPES).
# Send's detail is always an empty object (and an empty struct is no Hive type): its whole
# content is ``eventType = 'Send'``, so it has no column.
DETAILS: dict[str, Struct] = {
    "reject": struct(("reason", STRING)),
    "bounce": struct(
        ("bounceType", STRING),
        ("bounceSubType", STRING),
        (
            "bouncedRecipients",
            Array(
                struct(
                    ("emailAddress", STRING),
                    ("action", STRING),
                    ("status", STRING),
                    ("diagnosticCode", STRING),
                )
            ),
        ),
        ("timestamp", STRING),
        ("feedbackId", STRING),
        ("reportingMTA", STRING),
        # Not in the guide's table; real Bounces from a remote server carry it (tests/test_schema.py).
        ("remoteMtaIp", STRING),
    ),
    "complaint": struct(
        ("complainedRecipients", Array(struct(("emailAddress", STRING)))),
        ("timestamp", STRING),
        ("feedbackId", STRING),
        ("complaintSubType", STRING),
        ("userAgent", STRING),
        ("complaintFeedbackType", STRING),
        ("arrivalDate", STRING),
    ),
    "delivery": struct(
        ("timestamp", STRING),
        ("processingTimeMillis", BIGINT),
        ("recipients", STRINGS),
        ("smtpResponse", STRING),
        ("reportingMTA", STRING),
        # The receiving server's IP address: not in the guide's table, in real Deliveries (tests/test_schema.py).
        ("remoteMtaIp", STRING),
    ),
    "open": struct(("ipAddress", STRING), ("timestamp", STRING), ("userAgent", STRING)),
    "click": struct(
        ("ipAddress", STRING),
        ("timestamp", STRING),
        ("userAgent", STRING),
        ("link", STRING),
        ("linkTags", TAGS),
    ),
    "failure": struct(("templateName", STRING), ("errorMessage", STRING)),
    "deliveryDelay": struct(
        ("delayType", STRING),
        (
            "delayedRecipients",
            Array(struct(("emailAddress", STRING), ("status", STRING), ("diagnosticCode", STRING))),
        ),
        ("expirationTime", STRING),
        ("reportingMTA", STRING),
        ("timestamp", STRING),
    ),
    "subscription": struct(
        ("contactList", STRING),
        ("timestamp", STRING),
        ("source", STRING),
        ("newTopicPreferences", _TOPIC_PREFERENCES),
        ("oldTopicPreferences", _TOPIC_PREFERENCES),
    ),
}

EMPTY_DETAILS = ("send",)

RECORD = Struct((Field("eventType", STRING), Field("mail", MAIL)) + tuple(Field(key, detail) for key, detail in DETAILS.items()))


def glue_columns() -> list[dict[str, str]]:
    """The table's data columns, in the shape of Glue's ``StorageDescriptor.Columns``."""
    return [{"name": f.column, "type": f.type.hive()} for f in RECORD.fields]
