"""How the stream compresses JSON objects (``CompressionFormat``), and back.

GZIP and uncompressed objects need only the standard library, so that the base install of
seslog reads them; Hadoop-framed Snappy needs pyarrow (the ``local`` extra).
"""

from __future__ import annotations

import gzip
import struct

_HADOOP_SNAPPY_BLOCK = 256 * 1024
"""Hadoop's SnappyCodec compresses blocks of this size (io.compression.codec.snappy.buffersize)."""


def compress_json(data: bytes, compression: str) -> bytes:
    """A JSON object's bytes as the stream compresses them (``CompressionFormat``)."""
    if compression == "UNCOMPRESSED":
        return data
    if compression == "GZIP":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if compression == "HADOOP_SNAPPY":
        # Hadoop block framing: per block the uncompressed length, then the compressed
        # length and the raw Snappy bytes, both lengths 4-byte big-endian.
        import pyarrow as pa

        out = bytearray()
        for start in range(0, len(data), _HADOOP_SNAPPY_BLOCK):
            block = data[start : start + _HADOOP_SNAPPY_BLOCK]
            packed = pa.compress(block, codec="snappy", asbytes=True)
            out += struct.pack(">II", len(block), len(packed)) + packed
        return bytes(out)
    raise ValueError(f"compression {compression!r} is none of UNCOMPRESSED, GZIP, HADOOP_SNAPPY")


def decompress_json(data: bytes, compression: str) -> bytes:
    """The inverse of ``compress_json``."""
    if compression == "UNCOMPRESSED":
        return data
    if compression == "GZIP":
        return gzip.decompress(data)
    if compression == "HADOOP_SNAPPY":
        import pyarrow as pa

        out, at = bytearray(), 0
        while at < len(data):
            size, packed = struct.unpack_from(">II", data, at)
            at += 8
            out += pa.decompress(data[at : at + packed], decompressed_size=size, codec="snappy", asbytes=True)
            at += packed
        return bytes(out)
    raise ValueError(f"compression {compression!r} is none of UNCOMPRESSED, GZIP, HADOOP_SNAPPY")
