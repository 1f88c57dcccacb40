"""The parts of an ORC file, read from its footers: which bytes hold which column.

pyarrow reads ORC but does not expose where each column's streams are, which is what an
engine reading a few columns fetches. This reads the PostScript, the file footer and each
stripe footer (ORC specification v1, "File Tail" and "Stripes"): protocol buffers, the footers
compressed in chunks with a 3-byte header. The messages are parsed by ``protobuf`` from the
fields of ``orc_proto.proto`` declared below (the rest are skipped as unknown fields).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

# CompressionKind in the PostScript, as pyarrow's codec names.
_CODECS = {0: None, 1: "zlib", 2: "snappy", 4: "lz4", 5: "zstd"}
# Type.Kind STRUCT, whose children have field names.
_STRUCT = 12
# Stream.Kind values stored in a stripe's index area rather than its data area.
_INDEX_STREAMS = {6, 7, 8}  # ROW_INDEX, BLOOM_FILTER, BLOOM_FILTER_UTF8

# The fields read here, with their numbers in orc_proto.proto (enums read as their varints).
_MESSAGES = {
    "PostScript": [("footerLength", 1, "uint64"), ("compression", 2, "uint64"), ("metadataLength", 5, "uint64")],
    "StripeInformation": [
        ("offset", 1, "uint64"),
        ("indexLength", 2, "uint64"),
        ("dataLength", 3, "uint64"),
        ("footerLength", 4, "uint64"),
    ],
    "Type": [("kind", 1, "uint64"), ("subtypes", 2, "repeated uint32"), ("fieldNames", 3, "repeated string")],
    "Footer": [("stripes", 3, "repeated StripeInformation"), ("types", 4, "repeated Type"), ("numberOfRows", 6, "uint64")],
    "Stream": [("kind", 1, "uint64"), ("column", 2, "uint32"), ("length", 3, "uint64")],
    "StripeFooter": [("streams", 1, "repeated Stream")],
}


def _message_classes() -> dict[str, type]:
    scalar = descriptor_pb2.FieldDescriptorProto
    scalars = {"uint64": scalar.TYPE_UINT64, "uint32": scalar.TYPE_UINT32, "string": scalar.TYPE_STRING}
    file = descriptor_pb2.FileDescriptorProto(name="orc_subset.proto", package="orc.subset", syntax="proto2")
    for name, fields in _MESSAGES.items():
        message = file.message_type.add(name=name)
        for field_name, number, spec in fields:
            repeated, _, kind = spec.rpartition(" ")
            label = scalar.LABEL_REPEATED if repeated else scalar.LABEL_OPTIONAL
            field = message.field.add(name=field_name, number=number, label=label)
            if kind in scalars:
                field.type = scalars[kind]
            else:
                field.type, field.type_name = scalar.TYPE_MESSAGE, f".orc.subset.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"orc.subset.{name}")) for name in _MESSAGES}


_CLASSES = _message_classes()


class OrcFormatError(ValueError):
    """Bytes that are not an ORC file this reader understands."""


def _parse(name: str, data: bytes) -> Message:
    message = _CLASSES[name]()
    try:
        message.ParseFromString(data)
    except DecodeError as error:
        raise OrcFormatError(f"unreadable ORC {name}: {error}") from None
    return message


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
    postscript = _parse("PostScript", data[-1 - ps_length : -1])
    if postscript.compression not in _CODECS:
        raise OrcFormatError(f"unknown ORC compression kind {postscript.compression}")
    codec = _CODECS[postscript.compression]
    footer_end = len(data) - 1 - ps_length
    footer = _parse("Footer", _decompress(data[footer_end - postscript.footerLength : footer_end], codec))
    columns = _columns(footer.types)
    data_bytes = dict.fromkeys(range(len(columns)), 0)
    index_bytes = dict.fromkeys(range(len(columns)), 0)
    tail = 1 + ps_length + postscript.footerLength + postscript.metadataLength
    for stripe in footer.stripes:
        tail += stripe.footerLength
        start = stripe.offset + stripe.indexLength + stripe.dataLength
        for stream in _parse("StripeFooter", _decompress(data[start : start + stripe.footerLength], codec)).streams:
            target = index_bytes if stream.kind in _INDEX_STREAMS else data_bytes
            target[stream.column] += stream.length
    return OrcLayout(len(data), tail, tuple(columns), data_bytes, index_bytes, footer.numberOfRows)


def _columns(types: Sequence[Message]) -> list[OrcColumn]:
    if not types:
        raise OrcFormatError("the footer lists no types")
    columns: list[OrcColumn | None] = [None] * len(types)
    columns[0] = OrcColumn(0, "", None)
    for column_id, node in enumerate(types):
        own = columns[column_id]
        if own is None:
            raise OrcFormatError(f"type {column_id} is no child of an earlier type")
        for position, child in enumerate(node.subtypes):
            if child >= len(types):
                raise OrcFormatError(f"type {column_id} names child {child} of {len(types)} types")
            if node.kind == _STRUCT:
                path = f"{own.path}.{node.fieldNames[position]}" if own.path else node.fieldNames[position]
            else:
                path = own.path
            columns[child] = OrcColumn(child, path, column_id)
    return [c for c in columns if c is not None]
