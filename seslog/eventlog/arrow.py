"""The Glue table in Arrow terms: Hive type strings as pyarrow types, and SES JSON as table rows.

Firehose converts each JSON record to Parquet or ORC with the OpenX JSON deserializer
(``caseInsensitive``) against the Glue table's columns, and Athena reads JSON objects with
the OpenX JSON SerDe. ``row_converter`` does what both do, following the OpenX format as
Trino (Athena engine 3) documents it (lib/trino-hive-formats .../openxjson/README.md):

- object keys match lower-case column and struct field names ignoring case; keys that match
  nothing are ignored, fields with no key are null;
- map keys are kept as they are (``ses:from-domain``, the sender's ``myCustomTag1``);
- a non-array value for an array column is a one-element array, an empty string is null;
- a string column takes any JSON value, non-strings rendered as compact JSON.

The original Hive OpenX SerDe (rcongiu) lower-cases every key while parsing, map keys
included. Firehose does not document which implementation converts records; if it is
that one, tag names with capitals would reach Parquet/ORC lower-cased.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyarrow as pa

_PRIMITIVES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "int": pa.int32(),
    "boolean": pa.bool_(),
    "double": pa.float64(),
}


class HiveTypeError(ValueError):
    """A Hive type string this module cannot read."""


def hive_type(type_string: str) -> pa.DataType:
    """The pyarrow type of a Hive/Glue type string such as ``map<string,array<string>>``."""
    parsed, rest = _parse(type_string.replace(" ", ""), type_string)
    if rest:
        raise HiveTypeError(f"unexpected {rest!r} after the type in {type_string!r}")
    return parsed


def _parse(text: str, whole: str) -> tuple[pa.DataType, str]:
    for name, dtype in _PRIMITIVES.items():
        if text.startswith(name) and not text[len(name) : len(name) + 1].isalnum():
            return dtype, text[len(name) :]
    if text.startswith("array<"):
        element, rest = _parse(text[len("array<") :], whole)
        return pa.list_(element), _close(rest, whole)
    if text.startswith("map<"):
        key, rest = _parse(text[len("map<") :], whole)
        if not rest.startswith(","):
            raise HiveTypeError(f"map without a value type in {whole!r}")
        value, rest = _parse(rest[1:], whole)
        return pa.map_(key, value), _close(rest, whole)
    if text.startswith("struct<"):
        rest = text[len("struct<") :]
        fields = []
        while True:
            name, sep, rest = rest.partition(":")
            if not sep or not name:
                raise HiveTypeError(f"struct field without a name or type in {whole!r}")
            dtype, rest = _parse(rest, whole)
            fields.append(pa.field(name, dtype))
            if rest.startswith(","):
                rest = rest[1:]
                continue
            return pa.struct(fields), _close(rest, whole)
    raise HiveTypeError(f"unknown type at {text!r} in {whole!r}; known: {', '.join(_PRIMITIVES)}, array, map, struct")


def _close(rest: str, whole: str) -> str:
    if not rest.startswith(">"):
        raise HiveTypeError(f"missing '>' in {whole!r}")
    return rest[1:]


def table_schema(columns: Iterable[Mapping[str, str]], partition_keys: Iterable[Mapping[str, str]] = ()) -> pa.Schema:
    """The Arrow schema of a Glue table, from its ``columns`` (and ``partitionKeys``) as Glue
    holds them: ``[{"name": ..., "type": ...}]``."""
    return pa.schema([pa.field(c["name"], hive_type(c["type"])) for c in (*columns, *partition_keys)])


Converter = Callable[[Any], Any]


def row_converter(schema: pa.Schema) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function turning one SES JSON record into a row of ``schema``, as the OpenX
    deserializer reads it (see the module docstring)."""
    convert = _struct_converter(pa.struct(list(schema)))
    empty = dict.fromkeys(schema.names)
    return lambda record: convert(record) or dict(empty)


def _converter(dtype: pa.DataType) -> Converter:
    if pa.types.is_struct(dtype):
        return _struct_converter(dtype)
    if pa.types.is_map(dtype):
        return _map_converter(dtype)
    if pa.types.is_list(dtype):
        return _list_converter(dtype)
    if pa.types.is_string(dtype):
        return _to_string
    if pa.types.is_boolean(dtype):
        return _to_boolean
    if pa.types.is_integer(dtype):
        return _to_integer
    if pa.types.is_floating(dtype):
        return _to_float
    raise HiveTypeError(f"no JSON conversion for {dtype}")


_PLANS_PER_STRUCT = 256
"""Key sets remembered per struct type; SES writes a handful per type, so this bounds only
records that are not SES's."""


def _struct_converter(dtype: pa.StructType) -> Converter:
    fields = [(dtype.field(i).name.lower(), _converter(dtype.field(i).type)) for i in range(dtype.num_fields)]
    empty = dict.fromkeys(name for name, _ in fields)
    # Which key feeds which field depends only on the object's keys: worked out once per key set.
    plans: dict[tuple[str, ...], list[tuple[str, str, Converter]]] = {}

    def plan(keys: tuple[str, ...]) -> list[tuple[str, str, Converter]]:
        by_lower = {k.lower(): k for k in keys}  # of keys differing only in case, the last wins
        found = [(name, by_lower[name], conv) for name, conv in fields if name in by_lower]
        if len(plans) < _PLANS_PER_STRUCT:
            plans[keys] = found
        return found

    def convert(value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            return None
        keys = tuple(value)
        row = dict(empty)
        for name, key, conv in plans.get(keys) or plan(keys):
            if (v := value[key]) is not None:
                row[name] = conv(v)
        return row

    return convert


def _map_converter(dtype: pa.MapType) -> Converter:
    item = _converter(dtype.item_type)

    def convert(value: Any) -> list[tuple[str, Any]] | None:
        if not isinstance(value, dict):
            return None
        return [(k, None if v is None else item(v)) for k, v in value.items()]

    return convert


def _list_converter(dtype: pa.ListType) -> Converter:
    element = _converter(dtype.value_type)

    def convert(value: Any) -> list[Any] | None:
        if isinstance(value, list):
            return [None if v is None else element(v) for v in value]
        if value == "":
            return None
        return [element(value)]

    return convert


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.lower() == "true"


def _to_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


def _to_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
