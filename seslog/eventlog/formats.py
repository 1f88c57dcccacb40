"""Storage formats: how Firehose writes objects and how Glue/Athena read them back."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str
    classification: str
    serde: str
    input_format: str
    output_format: str
    compressions: tuple[str, ...]
    """Compressions allowed, the first being the default."""
    converts: bool
    """Whether Firehose converts records (then the serializer compresses, the stream must not)."""

    @property
    def default_compression(self) -> str:
        return self.compressions[0]

    def file_extension(self, compression: str) -> str:
        if not self.converts:
            return ".json" + _JSON_COMPRESSION_SUFFIX[compression]
        return f".{self.name}"

    def stream_compression(self, compression: str) -> str:
        """Firehose ``CompressionFormat``: conversion requires UNCOMPRESSED (Firehose guide)."""
        return "UNCOMPRESSED" if self.converts else compression


# Firehose also offers ZIP and framed Snappy for plain JSON, but Athena reads neither.
_JSON_COMPRESSION_SUFFIX = {"GZIP": ".gz", "HADOOP_SNAPPY": ".snappy", "UNCOMPRESSED": ""}

FORMATS: dict[str, Format] = {
    "json": Format(
        name="json",
        classification="json",
        serde="org.openx.data.jsonserde.JsonSerDe",
        input_format="org.apache.hadoop.mapred.TextInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        compressions=tuple(_JSON_COMPRESSION_SUFFIX),
        converts=False,
    ),
    "parquet": Format(
        name="parquet",
        classification="parquet",
        serde="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        compressions=("SNAPPY", "GZIP", "UNCOMPRESSED"),
        converts=True,
    ),
    "orc": Format(
        name="orc",
        classification="orc",
        serde="org.apache.hadoop.hive.ql.io.orc.OrcSerde",
        input_format="org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        compressions=("SNAPPY", "ZLIB", "NONE"),
        converts=True,
    ),
}

DEFAULT_FORMAT = "json"
"""A stack's format when its config leaves ``format`` out (the ``format`` key's default)."""
