"""Every scheme: the Firehose prefix and Athena's location template describe the same paths,
and the prefixes obey Firehose's rules (Firehose guide, "Custom prefixes for S3 objects")."""

import re
from datetime import UTC, datetime

import pytest

from seslog.eventlog.events import EVENT_TYPES
from seslog.eventlog.partitioning import SCHEMES
from seslog.eventlog.prefixes import ERROR_PREFIX

ARRIVAL = datetime(2026, 11, 26, 7, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize("scheme", SCHEMES.values(), ids=list(SCHEMES))
def test_location_template_yields_the_rendered_firehose_prefix(scheme):
    values = {"event_type": "BOUNCE", "sent": "2026-11-20"}
    path = scheme.render_prefix(ARRIVAL, values)
    template = scheme.location_template("bucket")
    if template is None:
        assert path == "events/2026/11/26/07/"
        return
    projected = {"dt": "2026-11-26", "hour": "07", "event_type": "BOUNCE", "sent": "2026-11-20"}
    filled = re.sub(r"\$\{(\w+)\}", lambda m: projected[m.group(1)], template)
    assert filled == f"s3://bucket/{path}"
    assert template.endswith("/")
    assert set(re.findall(r"\$\{(\w+)\}", template)) == set(scheme.columns)


@pytest.mark.parametrize("scheme", SCHEMES.values(), ids=list(SCHEMES))
def test_firehose_prefix_rules(scheme):
    prefix = scheme.firehose_prefix()
    assert "!{firehose:error-output-type}" not in prefix
    assert "!{timestamp:" in prefix  # otherwise Firehose appends its own yyyy/MM/dd/HH/
    assert ("!{partitionKeyFromQuery:" in prefix) == scheme.dynamic
    assert len(scheme.render_prefix(ARRIVAL, {"event_type": "RENDERING_FAILURE", "sent": "2026-11-20"})) <= 512


def test_error_prefix_rules():
    assert "!{firehose:error-output-type}" in ERROR_PREFIX
    assert "partitionKeyFrom" not in ERROR_PREFIX
    assert "!{timestamp:" in ERROR_PREFIX


def test_only_the_event_type_and_send_date_schemes_are_dynamic():
    assert {name for name, s in SCHEMES.items() if s.dynamic} == {"event-type", "send-date"}
    assert all(s.metadata_extraction_query() is None for s in SCHEMES.values() if not s.dynamic)


def test_projection_parameters_cover_every_key():
    params = SCHEMES["event-type"].projection_parameters("bucket", 400)
    assert params["projection.enabled"] == "true"
    assert params["projection.event_type.type"] == "enum"
    assert params["projection.event_type.values"].split(",") == [e.api_name for e in EVENT_TYPES]
    assert params["projection.dt.type"] == "date"
    assert params["projection.dt.format"] == "yyyy-MM-dd"
    assert params["projection.dt.range"] == "NOW-400DAYS,NOW"
    hour = SCHEMES["hour"].projection_parameters("bucket", 7)
    assert (hour["projection.hour.type"], hour["projection.hour.range"], hour["projection.hour.digits"]) == (
        "integer",
        "0,23",
        "2",
    )
    assert SCHEMES["none"].projection_parameters("bucket", 7) == {}
