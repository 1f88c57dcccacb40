"""Read the SES records out of one event object, whatever format the stream wrote it in.

The format and compression come from the object's file extension, which the stream sets
from ``seslog.eventlog.formats`` (``.json.gz``, ``.parquet``, ``.orc`` ...). JSON records keep SES's
camelCase keys; converted Parquet/ORC rows have the Glue table's lower-case column names, so
fields are looked up without regard to case.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

from seslog.eventlog.compression import decompress_json
from seslog.eventlog.formats import FORMATS, Format
from seslog.extras import missing_extra


class UnreadableObject(ValueError):
    pass


def object_format(key: str) -> tuple[Format, str]:
    """The format and compression an object was written with, from its extension (the longest that matches)."""
    candidates = [
        (len(f.file_extension(c)), f, c) for f in FORMATS.values() for c in f.compressions if key.endswith(f.file_extension(c))
    ]
    if not candidates:
        extensions = sorted({f.file_extension(c) for f in FORMATS.values() for c in f.compressions})
        raise UnreadableObject(f"{key}: not an event object (extension none of {', '.join(extensions)})")
    _, fmt, compression = max(candidates, key=lambda c: c[0])
    return fmt, compression


def decode(key: str, body: bytes) -> bytes | Any:
    """An object's JSON lines (decompressed) or its Parquet/ORC table (``pyarrow.Table``): what a
    reader must get through before it looks at single records. Raises ``UnreadableObject`` for a
    damaged object. GZIP JSON needs nothing more than the base install; the rest needs pyarrow."""
    fmt, compression = object_format(key)
    if not fmt.converts and compression != "HADOOP_SNAPPY":
        try:
            return decompress_json(body, compression)
        except (OSError, EOFError) as error:
            raise UnreadableObject(f"{key}: cannot read it as {fmt.name} ({compression}): {error}") from None
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
        from pyarrow import orc
    except ImportError as error:
        raise missing_extra(f"reading {fmt.name} ({compression}) objects", error) from None
    try:
        if not fmt.converts:
            return decompress_json(body, compression)
        if fmt.name == "parquet":
            return pq.read_table(pa.BufferReader(body))
        return orc.ORCFile(pa.BufferReader(body)).read()
    except (OSError, ValueError, EOFError, struct.error, pa.ArrowException) as error:
        raise UnreadableObject(f"{key}: cannot read it as {fmt.name} ({compression}): {error}") from None


def read_records(key: str, body: bytes) -> list[dict[str, Any]]:
    decoded = decode(key, body)
    if not isinstance(decoded, bytes):
        return decoded.to_pylist()
    try:
        return [json.loads(line) for line in decoded.decode("utf-8").splitlines() if line.strip()]
    except ValueError as error:
        fmt, compression = object_format(key)
        raise UnreadableObject(f"{key}: cannot read it as {fmt.name} ({compression}): {error}") from None


def field(record: Mapping[str, Any] | None, *path: str) -> Any:
    """``record[path[0]][path[1]]...`` with keys matched case-insensitively; None when absent."""
    value: Any = record
    for name in path:
        if not isinstance(value, Mapping):
            return None
        if name in value:
            value = value[name]
            continue
        lower = name.lower()
        value = next((v for k, v in value.items() if k.lower() == lower), None)
    return value
