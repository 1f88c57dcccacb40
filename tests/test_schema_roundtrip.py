"""Parquet and ORC written with the Glue columns the program registers read back as the JSON SES
published: nothing dropped, nothing renamed, tags and link tags whole, UTF-8 intact."""

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyarrow import orc

from offline.program import evaluate
from seslog.eventlog.arrow import HiveTypeError, hive_type, row_converter, table_schema
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.generator import Mix, all_samples, generate
from seslog.eventlog.layout import StreamSettings, write_layout
from seslog.eventlog.schema import EMPTY_DETAILS, glue_columns

ARRIVAL = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CONVERTED = [(f, c) for f in ("parquet", "orc") for c in FORMATS[f].compressions]


@pytest.fixture(scope="module")
def registered_schema() -> pa.Schema:
    """The Arrow schema of the columns the program registers for the Glue table."""
    table = evaluate("prod").one("aws:glue/catalogTable:CatalogTable", name="events")
    return table_schema(table.inputs["storageDescriptor"]["columns"])


@pytest.fixture(scope="module")
def samples(sample_records) -> dict[str, dict]:
    """One record per event type: the guide's seven, and the three built from its field lists."""
    return all_samples({r["eventType"]: r for r in sample_records.values()})


@pytest.fixture(scope="module")
def records(samples) -> list[dict]:
    generated = generate(samples, seed=11, messages=80, recipients=10, mix=Mix(suppressed_complaint=0.1, extra_recipients=0.5))
    return [*samples.values(), *(record for _, record in generated)]


def without_empty_details(record: dict) -> dict:
    """The record less Send's detail, which is always ``{}`` and has no column (seslog.eventlog.schema)."""
    empty = {k for k in EMPTY_DETAILS if k in record}
    assert all(record[k] == {} for k in empty), f"{record['eventType']}: non-empty {empty}"
    return {k: v for k, v in record.items() if k not in empty}


def differences(source, value, dtype: pa.DataType, path: str, null_structs: bool = False) -> list[str]:
    """Where ``value`` (read back) differs from ``source`` (the JSON): dropped, renamed, invented
    or changed fields, matching JSON keys to lower-case column names and map keys exactly. With
    ``null_structs``, an absent struct inside a struct may read as a struct of nulls (ORC written
    with pyarrow: see seslog.eventlog.layout)."""
    if source is None:
        if value is None or (null_structs and pa.types.is_struct(dtype) and not leaves(value, dtype)):
            return []
        return [f"{path}: {value!r} read for an absent value"]
    if value is None:
        return [f"{path}: dropped ({source!r})"]
    if pa.types.is_struct(dtype):
        names = {dtype.field(i).name for i in range(dtype.num_fields)}
        found = []
        for key, child in source.items():
            if key.lower() not in names:
                found.append(f"{path}.{key}: no column")
            else:
                found += differences(child, value[key.lower()], dtype.field(key.lower()).type, f"{path}.{key}", null_structs)
        given = {k.lower() for k in source}
        return found + [
            d
            for n in sorted(names - given)
            for d in differences(None, value[n], dtype.field(n).type, f"{path}.{n}", null_structs)
        ]
    if pa.types.is_map(dtype):
        read = dict(value)
        if set(read) != set(source):
            return [f"{path}: keys {sorted(source)} read as {sorted(read)}"]
        return [d for k in source for d in differences(source[k], read[k], dtype.item_type, f"{path}[{k!r}]", null_structs)]
    if pa.types.is_list(dtype):
        if len(source) != len(value):
            return [f"{path}: {len(source)} items read as {len(value)}"]
        pairs = enumerate(zip(source, value, strict=True))
        return [d for i, (s, v) in pairs for d in differences(s, v, dtype.value_type, f"{path}[{i}]", null_structs)]
    return [] if (type(source), source) == (type(value), value) else [f"{path}: {source!r} read as {value!r}"]


def leaves(value, dtype: pa.DataType, path: str = "") -> set[str]:
    """Paths of the non-null leaf values in a row."""
    if value is None:
        return set()
    if pa.types.is_struct(dtype):
        return {
            p
            for i in range(dtype.num_fields)
            for p in leaves(value[dtype.field(i).name], dtype.field(i).type, f"{path}.{dtype.field(i).name}")
        }
    if pa.types.is_map(dtype):
        return {f"{path}{{}}" for _ in value[:1]} | {p for _, v in value for p in leaves(v, dtype.item_type, f"{path}{{}}")}
    if pa.types.is_list(dtype):
        return {p for v in value for p in leaves(v, dtype.value_type, f"{path}[]")}
    return {path}


def read_back(tmp_path, records, fmt: str, compression: str) -> pa.Table:
    objects = write_layout(
        [(ARRIVAL, r) for r in records],
        tmp_path,
        format=fmt,
        partitioning="none",
        compression=compression,
        stream=StreamSettings(),
    )
    assert len(objects) == 1, objects
    path = tmp_path / objects[0].key
    return pq.read_table(path) if fmt == "parquet" else orc.read_table(path)


def test_the_registered_columns_are_the_schema_the_layout_writes(registered_schema):
    assert registered_schema == table_schema(glue_columns())
    assert "send" not in registered_schema.names  # Send's empty detail has no column


@pytest.mark.parametrize(("fmt", "compression"), CONVERTED)
def test_every_record_reads_back_field_by_field(tmp_path, registered_schema, records, fmt, compression):
    table = read_back(tmp_path, records, fmt, compression)
    assert table.schema.names == registered_schema.names
    rows = table.cast(registered_schema).to_pylist()
    row_type = pa.struct(list(registered_schema))
    assert len(rows) == len(records)
    null_structs = fmt == "orc"
    problems = [
        d
        for record, row in zip(records, rows, strict=True)
        for d in differences(without_empty_details(record), row, row_type, record["eventType"], null_structs)
    ]
    assert problems == []


@pytest.mark.parametrize(("fmt", "compression"), CONVERTED)
def test_tags_link_tags_and_a_japanese_subject_survive(tmp_path, registered_schema, samples, fmt, compression):
    chosen = [samples["Click"], samples["DeliveryDelay"]]
    click, delay = read_back(tmp_path, chosen, fmt, compression).cast(registered_schema).to_pylist()
    assert dict(click["mail"]["tags"]) == samples["Click"]["mail"]["tags"]
    assert {"ses:configuration-set", "ses:from-domain", "myCustomTag1"} <= set(dict(click["mail"]["tags"]))
    assert dict(click["click"]["linktags"]) == samples["Click"]["click"]["linkTags"]
    subject = samples["DeliveryDelay"]["mail"]["commonHeaders"]["subject"]
    assert not subject.isascii()
    assert delay["mail"]["commonheaders"]["subject"] == subject


def test_the_records_exercise_every_column(registered_schema, records):
    convert = row_converter(registered_schema)
    row_type = pa.struct(list(registered_schema))
    covered = set().union(*(leaves(convert(r), row_type) for r in records))
    assert _all_leaf_paths(row_type) - covered == set()


def _all_leaf_paths(dtype: pa.DataType, path: str = "") -> set[str]:
    if pa.types.is_struct(dtype):
        return {p for i in range(dtype.num_fields) for p in _all_leaf_paths(dtype.field(i).type, f"{path}.{dtype.field(i).name}")}
    if pa.types.is_map(dtype):
        return {f"{path}{{}}"} | _all_leaf_paths(dtype.item_type, f"{path}{{}}")
    if pa.types.is_list(dtype):
        return _all_leaf_paths(dtype.value_type, f"{path}[]")
    return {path}


def test_differences_catches_a_renamed_tag_a_dropped_field_and_a_changed_value(registered_schema, samples):
    record = without_empty_details(samples["Delivery"])
    row = row_converter(registered_schema)(record)
    row_type = pa.struct(list(registered_schema))
    assert differences(record, row, row_type, "Delivery") == []
    lowered_tags = [(k.lower(), v) for k, v in row["mail"]["tags"]]
    renamed = {**row, "mail": {**row["mail"], "tags": lowered_tags}}
    assert differences(record, renamed, row_type, "Delivery") != []
    dropped = {**row, "delivery": {**row["delivery"], "smtpresponse": None}}
    assert differences(record, dropped, row_type, "Delivery") == [
        "Delivery.delivery.smtpResponse: dropped ('250 2.6.0 Message received')"
    ]
    changed = {**row, "delivery": {**row["delivery"], "processingtimemillis": 1}}
    assert differences(record, changed, row_type, "Delivery") == ["Delivery.delivery.processingTimeMillis: 11893 read as 1"]


def test_json_keys_match_columns_ignoring_case_and_map_keys_stay_verbatim():
    schema = table_schema(
        [{"name": "mail", "type": "struct<messageid:string,tags:map<string,array<string>>,destination:array<string>>"}]
    )
    row = row_converter(schema)(
        {"Mail": {"MessageId": 42, "Tags": {"Team-A": "x"}, "destination": "a@example.com", "unknown": 1}}
    )
    assert row == {"mail": {"messageid": "42", "tags": [("Team-A", ["x"])], "destination": ["a@example.com"]}}
    assert row_converter(schema)("not an object") == {"mail": None}


def test_one_converter_reads_objects_whose_keys_differ_in_case_order_and_number():
    """The converter remembers which key feeds which field per key set: records with other
    key sets, or the same keys in another order or case, must each be read on their own."""
    schema = table_schema([{"name": "bounce", "type": "struct<bouncetype:string,timestamp:string,feedbackid:string>"}])
    convert = row_converter(schema)
    records = [
        {"bounce": {"bounceType": "Permanent", "timestamp": "t1"}},
        {"bounce": {"timestamp": "t2", "bounceType": "Transient"}},
        {"bounce": {"BOUNCETYPE": "Undetermined", "feedbackId": "f3", "timestamp": None}},
        {"bounce": {"bounceType": "Permanent", "timestamp": "t4"}},
        {"bounce": {"bouncetype": "lower", "BounceType": "later key wins"}},
    ]
    assert [convert(r)["bounce"] for r in records] == [
        {"bouncetype": "Permanent", "timestamp": "t1", "feedbackid": None},
        {"bouncetype": "Transient", "timestamp": "t2", "feedbackid": None},
        {"bouncetype": "Undetermined", "timestamp": None, "feedbackid": "f3"},
        {"bouncetype": "Permanent", "timestamp": "t4", "feedbackid": None},
        {"bouncetype": "later key wins", "timestamp": None, "feedbackid": None},
    ]


def test_hive_types_parse_and_bad_ones_are_named():
    assert hive_type("map<string,array<struct<a:bigint,b:boolean>>>") == pa.map_(
        pa.string(), pa.list_(pa.struct([("a", pa.int64()), ("b", pa.bool_())]))
    )
    with pytest.raises(HiveTypeError, match="unknown type at 'varchar2'"):
        hive_type("varchar2")
    with pytest.raises(HiveTypeError, match="missing '>'"):
        hive_type("array<string")
