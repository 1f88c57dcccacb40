"""The parts of an ORC file, read from its footers: which bytes hold which column.

pyarrow reads ORC but does not expose where each column's streams are, which is what an
engine reading a few columns fetches. This reads the PostScript, the file footer and each
stripe footer (ORC specification v1, "File Tail" and "Stripes"): protocol buffers, the footers
compressed in chunks with a 3-byte header.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

# CompressionKind in the PostScript, as pyarrow's codec names.
_CODECS = {0: None, 1: "zlib", 2: "snappy", 4: "lz4", 5: "zstd"}
# Type.Kind values that have children.
_LIST, _MAP, _STRUCT = 10, 11, 12
# Stream.Kind values stored in a stripe's index area rather than its data area.
_INDEX_STREAMS = {6, 7, 8}  # ROW_INDEX, BLOOM_FILTER, BLOOM_FILTER_UTF8


class OrcFormatError(ValueError):
    """Bytes that are not an ORC file this reader understands."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise OrcFormatError("truncated varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7


def _fields(message: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protocol buffer message: ints for varints, bytes for the rest."""
    at = 0
    while at < len(message):
        key, at = _varint(message, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(message, at)
            yield number, value
        elif wire == 2:
            size, at = _varint(message, at)
            yield number, message[at : at + size]
            at += size
        elif wire == 1:
            yield number, message[at : at + 8]
            at += 8
        elif wire == 5:
            yield number, message[at : at + 4]
            at += 4
        else:
            raise OrcFormatError(f"unsupported protobuf wire type {wire}")


def _packed(value: int | bytes) -> list[int]:
    if isinstance(value, int):
        return [value]
    out, at = [], 0
    while at < len(value):
        item, at = _varint(value, at)
        out.append(item)
    return out


def _decompress(data: bytes, codec: str | None) -> bytes:
    if codec is None:
        return data
    out, at = bytearray(), 0
    while at < len(data):
        header = int.from_bytes(data[at : at + 3], "little")
        at += 3
        size, original = header >> 1, header & 1
        chunk = data[at : at + size]
        at += size
        if original:
            out += chunk
        elif codec == "snappy":
            length, _ = _varint(chunk, 0)  # raw Snappy starts with the uncompressed length
            out += pa.decompress(chunk, decompressed_size=length, codec="snappy", asbytes=True)
        else:
            raise OrcFormatError(f"footers compressed with {codec} are not supported here")
    return bytes(out)


@dataclass(frozen=True)
class OrcColumn:
    id: int
    """The column id: the type's position in the file's pre-order type list (0 is the row)."""
    path: str
    """Dotted struct field names from the row, e.g. ``mail.commonheaders.subject``; list elements
    and map keys and values have their container's path."""
    parent: int | None


@dataclass(frozen=True)
class OrcLayout:
    size: int
    """Bytes in the file."""
    tail: int
    """Bytes of the file tail (PostScript, footer, metadata) and the stripe footers: what a
    reader fetches before any column."""
    columns: tuple[OrcColumn, ...]
    data_bytes: dict[int, int]
    """Bytes of each column's data streams (PRESENT, DATA, LENGTH, DICTIONARY_DATA, SECONDARY ...)."""
    index_bytes: dict[int, int]
    """Bytes of each column's index streams (ROW_INDEX, bloom filters)."""
    rows: int

    def with_ancestors(self, ids: set[int]) -> set[int]:
        """``ids`` and the columns containing them (a list's lengths, a struct's nulls)."""
        out = set()
        for column_id in ids:
            current: int | None = column_id
            while current is not None and current not in out:
                out.add(current)
                current = self.columns[current].parent
        return out


def read_layout(data: bytes) -> OrcLayout:
    """The layout of an ORC file from its bytes."""
    if len(data) < 4 or data[:3] != b"ORC":
        raise OrcFormatError("no ORC magic at the start of the file")
    ps_length = data[-1]
    postscript = dict(_fields(data[-1 - ps_length : -1]))
    footer_length, metadata_length = postscript.get(1, 0), postscript.get(5, 0)
    kind = postscript.get(2, 0)
    if kind not in _CODECS:
        raise OrcFormatError(f"unknown ORC compression kind {kind}")
    codec = _CODECS[kind]
    footer_end = len(data) - 1 - ps_length
    footer = _decompress(data[footer_end - footer_length : footer_end], codec)
    stripes, types, rows = [], [], 0
    for number, value in _fields(footer):
        if number == 3:
            stripes.append(dict(_fields(value)))
        elif number == 4:
            types.append(value)
        elif number == 6:
            rows = value
    columns = _columns(types)
    data_bytes = dict.fromkeys(range(len(columns)), 0)
    index_bytes = dict.fromkeys(range(len(columns)), 0)
    tail = 1 + ps_length + footer_length + metadata_length
    for stripe in stripes:
        offset, index_length, data_length, stripe_footer_length = (stripe.get(i, 0) for i in (1, 2, 3, 4))
        tail += stripe_footer_length
        start = offset + index_length + data_length
        stripe_footer = _decompress(data[start : start + stripe_footer_length], codec)
        for number, value in _fields(stripe_footer):
            if number != 1:
                continue
            stream = dict(_fields(value))
            target = index_bytes if stream.get(1, 0) in _INDEX_STREAMS else data_bytes
            target[stream.get(2, 0)] += stream.get(3, 0)
    return OrcLayout(len(data), tail, tuple(columns), data_bytes, index_bytes, rows)


def _columns(types: list[bytes]) -> list[OrcColumn]:
    parsed = []
    for raw in types:
        kind, subtypes, names = 0, [], []
        for number, value in _fields(raw):
            if number == 1:
                kind = value
            elif number == 2:
                subtypes += _packed(value)
            elif number == 3:
                names.append(value.decode())
        parsed.append((kind, subtypes, names))
    if not parsed:
        raise OrcFormatError("the footer lists no types")
    columns: list[OrcColumn | None] = [None] * len(parsed)
    columns[0] = OrcColumn(0, "", None)
    for column_id, (kind, subtypes, names) in enumerate(parsed):
        own = columns[column_id]
        if own is None:
            raise OrcFormatError(f"type {column_id} is no child of an earlier type")
        for position, child in enumerate(subtypes):
            if kind == _STRUCT:
                path = f"{own.path}.{names[position]}" if own.path else names[position]
            else:
                path = own.path
            columns[child] = OrcColumn(child, path, column_id)
    return [c for c in columns if c is not None]
