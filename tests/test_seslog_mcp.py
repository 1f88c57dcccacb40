"""`seslog mcp` started as a subprocess and driven by the MCP SDK's own stdio client: it lists its tools
(read-only, with descriptions and typed parameters) and each tool answers with the document --json prints."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from seslog.cli import main
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
    return root, send["mail"]["destination"][0], send["mail"]["messageId"]


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
    ]
    # A loop of its own, left unset: asyncio.run would unset the thread's loop, which later tests expect to find.
    loop = asyncio.new_event_loop()
    try:
        with open(os.devnull, "w") as quiet:  # the server's stderr: what each query cost
            tools, results = loop.run_until_complete(session_calls(root, calls, quiet))
    finally:
        loop.close()

    assert {t.name for t in tools} == {"find_messages", "message_timeline", "why", "daily_stats"}
    for tool in tools:
        assert tool.annotations.read_only_hint is True and tool.description and tool.input_schema["type"] == "object"
    assert next(t for t in tools if t.name == "find_messages").input_schema["required"] == ["address"]
    described = {t.name: " ".join(t.description.split()) for t in tools}
    assert "'reason' (what the receiving server's reply means" in described["why"] and "'actor' (who must act" in described["why"]
    assert "'failures' lists the bounces and delays by reason and provider" in described["daily_stats"]

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
    assert results[4].is_error and "argument --to: 'not an address' is not an email address" in results[4].content[0].text
    assert results[5].is_error and "argument --from: '2024-05-32' is not a date" in results[5].content[0].text
    assert results[7].is_error and "'user0009.example.jp' is neither an email address" in results[7].content[0].text
    main(["message", message, "--local", str(root), "--json"])
    undated = json.loads(capsys.readouterr().out)
    assert undated["events"] and results[6].structured_content.get("result", results[6].structured_content) == undated
