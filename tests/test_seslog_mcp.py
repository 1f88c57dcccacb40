"""`seslog mcp` started as a subprocess and driven by the MCP SDK's own stdio client: it lists its tools
(read-only, with descriptions and typed parameters) and each tool answers with the document --json prints.
Each parameter's schema says what it holds, in what format, with an example; arguments a tool does not take are
refused; errors name the tools' parameters, not the command line's flags; daily_stats answers a bounded range."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from seslog import arguments
from seslog.assistant import MAX_STATS_DAYS
from seslog.cli import main
from seslog.cognito.log import record_of, subscription_message, write_object
from seslog.eventlog.generator import generate, load_samples
from seslog.eventlog.layout import write_layout

ROOT = Path(__file__).resolve().parents[1]
RANGE = {"from_date": "2024-05-01", "until_date": "2024-05-02"}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, str, str]:
    root = tmp_path_factory.mktemp("mcp")
    records = list(generate(load_samples(), seed=9, start=datetime(2024, 5, 1, tzinfo=UTC), days=2, messages=60, recipients=5))
    write_layout(records, root, format="parquet", partitioning="date")
    send = next(r for _, r in records if r["eventType"] == "Send")
    address = send["mail"]["destination"][0]
    # Cognito's error log beside the events: an error naming the address (SES's sandbox refusal).
    at = datetime(2024, 5, 1, 8, tzinfo=UTC)
    details = f"Email address is not verified. The following identities failed the check in region EU-WEST-1: {address}"
    cognito = record_of(at, details, "eu-west-1_AbCdEf123")
    write_object(root, at, [subscription_message([cognito], log_group="g")], uuid.UUID(int=7, version=4))
    return root, address, send["mail"]["messageId"]


def cli_json(capsys, *arguments: str) -> dict:
    main([*arguments, "--from", RANGE["from_date"], "--until", RANGE["until_date"], "--json"])
    return json.loads(capsys.readouterr().out)


async def session_calls(root: Path, calls: list[tuple[str, dict]], quiet) -> tuple[list, list]:
    # A stdio child sees only a short allow-list of the environment: what seslog needs is passed explicitly.
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "seslog", "mcp", "--local", str(root)],
        cwd=str(ROOT),
        env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")},
    )
    async with stdio_client(server, errlog=quiet) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = (await session.list_tools()).tools
        results = [await session.call_tool(name, arguments) for name, arguments in calls]
    return tools, results


def run_calls(root: Path, calls: list[tuple[str, dict]]) -> tuple[list, list]:
    # A loop of its own, left unset: asyncio.run would unset the thread's loop, which later tests expect to find.
    loop = asyncio.new_event_loop()
    try:
        with open(os.devnull, "w") as quiet:  # the server's stderr: what each query cost
            return loop.run_until_complete(session_calls(root, calls, quiet))
    finally:
        loop.close()


def error_text(result) -> str:
    assert result.is_error, result
    return result.content[0].text


def test_the_tools_answer_as_the_command_line_does(capsys, data):
    root, address, message = data
    local = ("--local", str(root))
    calls = [
        ("find_messages", {"address": address.upper(), **RANGE}),
        ("message_timeline", {"message_id": f"<{message}@email.amazonses.com>", **RANGE}),
        ("why", {"address_or_message_id": address, **RANGE}),
        ("daily_stats", RANGE),
        ("find_messages", {"address": "not an address", **RANGE}),
        ("daily_stats", {"from_date": "2024-05-32"}),
        ("message_timeline", {"message_id": message}),  # no dates: the send day in the ID, as the command line reads it
        ("why", {"address_or_message_id": "user0009.example.jp"}),  # a typo of an address, not a message ID
        ("find_messages", {"address": address, "since": "99999999999d"}),  # checked before it could overflow
    ]
    tools, results = run_calls(root, calls)

    assert {t.name for t in tools} == {"find_messages", "message_timeline", "why", "daily_stats"}
    for tool in tools:
        assert tool.annotations.read_only_hint is True and tool.description and tool.input_schema["type"] == "object"
    assert next(t for t in tools if t.name == "find_messages").input_schema["required"] == ["address"]
    described = {t.name: " ".join(t.description.split()) for t in tools}
    assert "'reason' (what the receiving server's reply means" in described["why"] and "'actor' (who must act" in described["why"]
    assert "'failures' lists the bounces and delays by reason and provider" in described["daily_stats"]
    assert "'cognito' says what the Cognito user pools' message-delivery error log holds" in described["why"]

    expected = [
        cli_json(capsys, "find", "--to", address.upper(), *local),
        cli_json(capsys, "message", message, *local),
        cli_json(capsys, "why", address, *local),
        cli_json(capsys, "stats", *local),
    ]
    for result, document in zip(results[:4], expected):
        assert not result.is_error
        answered = result.structured_content.get("result", result.structured_content)
        if "verdicts" in document:  # a message with no outcome yet says how long ago it was sent, to the second
            for verdict in (*answered["verdicts"], *document["verdicts"]):
                if verdict["verdict"].startswith("Send"):
                    verdict.pop("why")
        assert answered == document
        for verdict in answered.get("verdicts", []):
            assert {"reason", "provider", "actor", "rule"} <= set(verdict) and verdict["reason"] and verdict["rule"]
    why_answer = results[2].structured_content.get("result", results[2].structured_content)
    assert why_answer["cognito"]["scope"] == "named" and why_answer["cognito"]["errors"][0]["kind"] == "unverified/recipient"
    assert results[4].is_error and "address: 'not an address' is not an email address" in results[4].content[0].text
    assert results[5].is_error and "from_date: '2024-05-32' is not a date" in results[5].content[0].text
    assert results[7].is_error and "'user0009.example.jp' is neither an email address" in results[7].content[0].text
    assert results[8].is_error and "since: '99999999999d' reaches back more than 3660 days" in results[8].content[0].text
    main(["message", message, "--local", str(root), "--json"])
    undated = json.loads(capsys.readouterr().out)
    assert undated["events"] and results[6].structured_content.get("result", results[6].structured_content) == undated


# What each parameter's schema must say: its JSON Schema format keyword and what its description names.
FORMATS = {
    "since": ({"pattern": "^[0-9]+[dh]$"}, ("7d", "12h"), arguments.since),
    "from_date": ({"format": "date"}, ("UTC", "YYYY-MM-DD"), arguments.day),
    "until_date": ({"format": "date"}, ("UTC", "YYYY-MM-DD"), arguments.day),
    "address": ({"format": "email"}, ("email address", "name@example.com"), arguments.email_address),
    "message_id": ({}, ("SES message ID", "<ID@email.amazonses.com>"), arguments.message_id),
    "address_or_message_id": (
        {},
        ("email address", "SES message ID", "<ID@email.amazonses.com>"),
        arguments.address_or_message_id,
    ),
}


LONGEST = {"from_date": "2024-01-01", "until_date": "2024-04-01"}  # MAX_STATS_DAYS days, both counted
CALLS = {
    "unknown": ("find_messages", {"address": "user0001@example.jp", "to": "user0001@example.jp", **RANGE}),
    "misspelt": ("daily_stats", {"from": "2024-05-01", "until": "2024-05-02"}),
    "right": ("daily_stats", RANGE),
    "bad id": ("message_timeline", {"message_id": "not-an-id"}),
    "typo": ("why", {"address_or_message_id": "user0009.example.jp"}),
    "both": ("daily_stats", {"since": "7d", **RANGE}),
    "until alone": ("daily_stats", {"until_date": "2024-05-02"}),
    "bad span": ("daily_stats", {"since": "7x"}),
    "too many days": ("daily_stats", {"from_date": "2024-01-01", "until_date": "2024-04-02"}),
    "too long a span": ("daily_stats", {"since": f"{MAX_STATS_DAYS + 1}d"}),
    "longest": ("daily_stats", LONGEST),
    "longest span": ("daily_stats", {"since": f"{MAX_STATS_DAYS}d"}),
}


@pytest.fixture(scope="module")
def session(data) -> tuple[dict, dict]:
    """The tools as listed, by name, and the answer to each of CALLS, by key: one server for all of them."""
    tools, results = run_calls(data[0], list(CALLS.values()))
    return {t.name: t for t in tools}, dict(zip(CALLS, results))


def test_descriptions_are_not_indented_as_the_source_is(session):
    tools, _ = session
    for tool in tools.values():
        assert tool.description == inspect.cleandoc(tool.description)
        assert not any(line.startswith((" ", "\t")) for line in tool.description.splitlines()), tool.name


def test_every_parameter_says_what_it_holds_in_what_format_with_an_example(session):
    tools, _ = session
    for tool in tools.values():
        schema = tool.input_schema
        for name, field in schema["properties"].items():
            keywords, named, parse = FORMATS[name]
            strings = (
                [field] if field.get("type") == "string" else [f for f in field.get("anyOf", []) if f.get("type") == "string"]
            )
            assert len(strings) == 1, (tool.name, name, field)
            assert keywords.items() <= strings[0].items(), (tool.name, name, field)
            assert all(word in field.get("description", "") for word in named), (tool.name, name, field)
            assert field.get("examples"), (tool.name, name)
            for example in field["examples"]:
                parse(example)  # each example is a value the tool takes
            assert name in schema.get("required", []) or field.get("default", "absent") is None, (tool.name, name)


def test_arguments_a_tool_does_not_take_are_refused_by_name(session):
    tools, results = session
    assert all(tool.input_schema.get("additionalProperties") is False for tool in tools.values())
    text = error_text(results["unknown"])
    assert "find_messages has no parameter 'to': it takes address, since, from_date, until_date" in text
    assert "daily_stats has no parameters 'from', 'until'" in error_text(results["misspelt"])
    assert not results["right"].is_error


def test_errors_name_the_tools_parameters_not_the_command_lines_flags(session):
    _, results = session
    for key in ("bad id", "typo", "both", "until alone", "bad span", "too many days", "too long a span"):
        text = error_text(results[key])
        assert "--" not in text and "argument " not in text and "MESSAGE_ID" not in text, text
    assert "seslog: message_id: 'not-an-id' is not an SES message ID" in error_text(results["bad id"])
    assert "seslog: address_or_message_id: 'user0009.example.jp' is neither an email address" in error_text(results["typo"])
    assert "use either since or from_date/until_date, not both" in error_text(results["both"])
    assert "until_date needs from_date" in error_text(results["until alone"])
    assert "since: '7x' is not a span" in error_text(results["bad span"])


def test_daily_stats_answers_a_bounded_range_and_says_so(session):
    tools, results = session
    described = " ".join(tools["daily_stats"].description.split())
    assert f"The range is at most {MAX_STATS_DAYS} days" in described
    refused = {"too many days": "2024-01-01 to 2024-04-02 is 93", "too long a span": f"since {MAX_STATS_DAYS + 1}d is longer"}
    for key, asked in refused.items():  # one line: the limit, what was asked, how to ask for less
        text = error_text(results[key])
        assert "\n" not in text.strip(), text
        assert f"daily_stats answers at most {MAX_STATS_DAYS} days and {asked}: ask for less, e.g. since 30d" in text
    assert not results["longest"].is_error and not results["longest span"].is_error
