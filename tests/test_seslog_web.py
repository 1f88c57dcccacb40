"""`seslog serve`: every page in-process through Starlette's test client (answers equal to the command line's
--json, escaping of what came out of an email, the Host check, the running page), and once as a real server
in a subprocess on a free port."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from seslog.cli import main
from seslog.diagnosis.reasons import ACTORS, REASONS
from seslog.engine import LocalEngine
from seslog.eventlog.generator import generate, load_samples
from seslog.eventlog.layout import write_layout
from seslog.eventlog.partitioning import SCHEMES
from seslog.verdicts import CHECKLIST
from seslog.web.app import CSP, SECURITY_HEADERS, Site, create_app
from seslog.web.jobs import Jobs
from seslog.web.server import _host_header

ROOT = Path(__file__).resolve().parents[1]
RANGE = {"from": "2024-05-01", "until": "2024-05-02"}
HOSTILE_SUBJECT = '<script>alert("subject")</script> & "quotes"'
HOSTILE_DIAGNOSTIC = "smtp; 550 <img src=x onerror=alert(1)> \u202egnp.exe \x1b[2J"
HOSTILE_TO = "<b>bold</b>@example.net"


def hostile(records: list) -> list:
    """The generated records with markup where an email puts attacker-chosen text: subject, a recipient, a diagnostic code."""
    changed = []
    for arrival, record in records:
        record = json.loads(json.dumps(record))
        if record["mail"].get("commonHeaders"):
            record["mail"]["commonHeaders"]["subject"] = HOSTILE_SUBJECT
        for bounced in record.get("bounce", {}).get("bouncedRecipients", []):
            bounced["diagnosticCode"] = HOSTILE_DIAGNOSTIC
        changed.append((arrival, record))
    return changed


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, str, str]:
    root = tmp_path_factory.mktemp("web")
    records = hostile(
        list(generate(load_samples(), seed=3, start=datetime(2024, 5, 1, tzinfo=UTC), days=2, messages=80, recipients=6))
    )
    write_layout(records, root, format="json", partitioning="date")
    sends = [r for _, r in records if r["eventType"] == "Send"]
    bounced = next(r["mail"]["messageId"] for _, r in records if r["eventType"] == "Bounce")
    return root, sends[0]["mail"]["destination"][0], bounced


@pytest.fixture(scope="module")
def client(data) -> TestClient:
    root, _, _ = data
    site = Site(lambda progress: LocalEngine(root, progress), f"the local copy in {root}", wait_seconds=60)
    return TestClient(create_app(site, {"testserver"}))


def cli_json(capsys, *arguments: str) -> dict:
    main([*arguments, "--json"])
    return json.loads(capsys.readouterr().out)


def test_the_search_page_answers_as_why_does_each_message_linked_to_its_page(client, data, capsys):
    root, address, _ = data
    page = client.get("/", params={"q": address.upper(), **RANGE})
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    expected = cli_json(capsys, "why", address.upper(), "--from", RANGE["from"], "--until", RANGE["until"], "--local", str(root))
    links = re.findall(r'href="/message/([^"?]+)\?from=(\d{4}-\d\d-\d\d)&amp;until=\d{4}-\d\d-\d\d"', page.text)
    assert [m for m, _ in links] == [v["message_id"] for v in expected["verdicts"]] and links
    for verdict in expected["verdicts"]:
        assert f'<span class="status">{escape(verdict["status"])}</span>' in page.text
    answered = client.get("/", params={"q": address.upper(), **RANGE, "format": "json"}).json()
    for document in (answered, expected):
        for verdict in document["verdicts"]:
            if verdict["verdict"].startswith("Send"):
                verdict.pop("why")  # a message with no outcome yet says how long ago it was sent, to the second
    assert answered == expected
    assert client.get("/").status_code == 200 and 'name="q"' in client.get("/").text
    assert "the last 7 days." in client.get("/").text


def test_a_search_that_finds_nothing_gives_the_checklist_why_gives(client):
    page = client.get("/", params={"q": "nobody@example.net", **RANGE})
    assert page.status_code == 200 and "no trace in this log" in page.text
    assert page.text.count("<li>") == len(CHECKLIST) and "Cognito never handed it to SES" in page.text


def test_a_message_id_in_the_search_box_goes_to_its_page_in_either_form(client, data):
    _, _, message = data
    for form in (message, f"<{message}@email.amazonses.com>"):
        answer = client.get("/", params={"q": form, **RANGE}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"/message/{message}?from=2024-05-01&until=2024-05-02"


def test_the_message_page_tells_the_story_and_its_json_is_what_the_cli_prints(client, data, capsys):
    root, _, message = data
    page = client.get(f"/message/{message}", params=RANGE)
    assert page.status_code == 200
    local = ["--from", RANGE["from"], "--until", RANGE["until"], "--local", str(root)]
    timeline, verdicts = cli_json(capsys, "message", message, *local), cli_json(capsys, "why", message, *local)
    for verdict in verdicts["verdicts"]:
        assert f'<span class="status">{verdict["status"]}</span>' in page.text
    assert page.text.count("<time datetime=") >= len(timeline["events"])
    both = client.get(f"/message/{message}", params={**RANGE, "format": "json"}).json()
    assert both["timeline"] == timeline
    assert [(v["recipient"], v["verdict"], v["why"]) for v in both["why"]["verdicts"]] == [
        (v["recipient"], v["verdict"], v["why"]) for v in verdicts["verdicts"]
    ]
    # A failure's reason and who acts, in words; the JSON carries the reason, provider, actor and rule.
    failed = [v for v in both["why"]["verdicts"] if v["source"]]
    assert failed and all(v["reason"] and v["provider"] and v["actor"] and v["rule"] for v in both["why"]["verdicts"])
    for verdict in failed:
        assert f'<span class="reason-name">{verdict["reason"]}</span>: {escape(REASONS[verdict["reason"]].meaning)}' in page.text
        assert f'<span class="actor">{escape(ACTORS[verdict["actor"]])}</span>' in page.text


def test_text_from_an_email_is_escaped_everywhere(client, data):
    _, address, message = data
    pages = [client.get("/", params={"q": address, **RANGE}).text, client.get(f"/message/{message}", params=RANGE).text]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;subject&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in pages[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[1]
    # A bidirectional override cannot reorder the text around it, nor a control character act: both are written out.
    assert "\u202e" not in pages[1] and "\x1b" not in pages[1] and "\\u202egnp.exe \\x1b[2J" in pages[1]
    assert client.get("/", params={"q": HOSTILE_TO, **RANGE}).text.count("<b>bold</b>") == 0


def test_the_overview_draws_inline_svg_from_the_stats_document(client, data, capsys):
    root, _, _ = data
    page = client.get("/overview", params=RANGE)
    assert page.status_code == 200 and page.text.count("<svg viewBox") == 2 and "<rect" in page.text and "<polyline" in page.text
    assert "SES reviews at 5.0%" in page.text and "SES reviews at 0.1%" in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text)  # nothing from elsewhere
    stats = cli_json(capsys, "stats", "--from", RANGE["from"], "--until", RANGE["until"], "--local", str(root))
    assert client.get("/overview", params={**RANGE, "format": "json"}).json() == stats
    # The failures by reason, largest first, each with who acts in words.
    rows = re.findall(
        r'<tr><td><span class="reason">(\w+)</span>: [^<]*</td><td[^>]*>([^<]+)</td><td[^>]* title="([^"]+)">([\w-]+)</td>',
        page.text,
    )
    assert rows and [(r, p, a) for r, p, _, a in rows] == [(f["reason"], f["provider"], f["actor"]) for f in stats["failures"]]
    assert all(title == escape(ACTORS[actor]) for _, _, title, actor in rows)


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "/",
            {"q": "taro@example.jp", "from": "2024-13-01"},
            "From: '2024-13-01' is not a date: month must be in 1..12",
        ),
        (
            "/overview",
            {"since": "7 days"},
            "since: '7 days' is not a span: use a whole number of days or hours, e.g. 7d or 12h",
        ),
        ("/", {"q": "not an address"}, "argument ADDRESS|MESSAGE_ID: 'not an address' is neither an email address"),
        ("/", {"q": "user0009.example.jp"}, "argument ADDRESS|MESSAGE_ID: 'user0009.example.jp' is neither an email address"),
        ("/message/taro@example.jp", {}, "'taro@example.jp' is an address, not a message ID: search for it instead"),
        ("/overview", {"from": "2024-05-02", "until": "2024-05-01"}, "From 2024-05-02 is after Until 2024-05-01"),
    ],
)
def test_bad_parameters_get_a_400_page_naming_the_form_s_fields_and_a_way_back(client, path, params, message):
    page = client.get(path, params=params)
    assert page.status_code == 400 and "Traceback" not in page.text
    back = re.search(r'<a class="back" href="([^"]+)"', page.text)[1].replace("&amp;", "&")
    assert all(
        f"{k}={quote(v, safe='')}" in back or f"{k}={quote_plus(v)}" in back for k, v in params.items()
    ) or path.startswith("/message/")
    assert f"seslog: {message}" in page.text.replace("&#39;", "'")
    assert client.get(path, params={**params, "format": "json"}).json()["error"].startswith(message)


def test_a_foreign_host_header_and_writes_are_refused(client):
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 421
    assert client.post("/").status_code == 405
    assert client.head("/overview", params=RANGE).status_code == 200
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")


class SlowEngine:
    """Answers find only once released, counting the queries it was asked."""

    def __init__(self, release: threading.Event, asked: list):
        self.release, self.asked = release, asked

    def run(self, query: str, values: dict) -> list:
        self.asked.append(query)
        self.release.wait(10)
        return []

    def report(self, err) -> None:
        err.write("1 row; Athena scanned 12.0 MiB in 3.1 s\n")


def test_a_running_query_shows_a_page_and_is_not_started_twice():
    release, asked = threading.Event(), []
    site = Site(lambda progress: SlowEngine(release, asked), "a slow engine", wait_seconds=0.05)
    slow = TestClient(create_app(site, {"testserver"}))
    first = slow.get("/overview")  # the default range, which ends at "now": the reload must find the same job
    second = slow.get("/overview")
    assert first.status_code == second.status_code == 202
    assert 'http-equiv="refresh"' in first.text and "does not start the query again" in first.text
    assert slow.get("/overview", params={"format": "json"}).json()["running"] is True
    release.set()
    for _ in range(100):
        done = slow.get("/overview")
        if done.status_code != 202:
            break
        release.wait(0.05)
    assert done.status_code == 200 and "Athena scanned 12.0 MiB" in done.text
    assert asked == ["daily-counts", "failure-reasons"]


def test_serve_runs_as_a_real_server_on_a_free_loopback_port(data):
    root, address, message = data
    server = subprocess.Popen(
        [sys.executable, "-m", "seslog", "serve", "--local", str(root)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = server.stdout.readline()
        url = re.search(r"on (http://127\.0\.0\.1:\d+/) ", started).group(1)

        secured: list[bool] = []

        def get(path: str, host: str | None = None) -> tuple[int, str]:
            request = urllib.request.Request(url.rstrip("/") + path, headers={"Host": host} if host else {})
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    headers, status, body = answer.headers, answer.status, answer.read().decode()
            except urllib.error.HTTPError as error:
                headers, status, body = error.headers, error.code, error.read().decode()
            secured.append(all(headers.get(name) == value for name, value in SECURITY_HEADERS.items()))
            return status, body

        assert get(f"/?q={address}&from=2024-05-01&until=2024-05-02")[0] == 200
        status, html = get(f"/message/{message}?from=2024-05-01&until=2024-05-02")
        assert status == 200 and '<span class="status">' in html and "&lt;script&gt;" in html and "<script>alert" not in html
        status, text = get(f"/message/{message}?from=2024-05-01&until=2024-05-02&format=json")
        assert status == 200 and json.loads(text)["timeline"]["message_id"] == message
        assert get("/overview?from=2024-05-01&until=2024-05-02")[0] == 200
        assert get("/overview?from=2024-02-30")[0] == 400
        assert get("/", host="rebound.example")[0] == 421
        assert get("/no/such/page")[0] == 404 and get("/static/style.css")[0] == 200
        assert get("/overview?since=99999999999d")[0] == 400  # checked before it could overflow
        assert secured and all(secured)  # every response, whatever its kind, carries the security headers
        server.send_signal(signal.SIGINT)  # Ctrl-C
        assert server.wait(10) == 130
        *questions, last = server.stderr.read().splitlines()
        assert last == "seslog: interrupted" and questions
        assert all(line.startswith("seslog serve: looking up ") for line in questions), questions
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)


def test_ctrl_c_stops_serve_with_exit_130_even_when_asyncio_drops_uvicorns_second_sigint(data, monkeypatch):
    """uvicorn shuts down on SIGINT and raises it again; asyncio can spend that second one cancelling
    a task that has already finished. Here uvicorn's run returns as it then does: serve still stops as Ctrl-C."""
    import io

    import uvicorn

    from seslog.web.server import serve

    def run_until_ctrl_c(self, sockets=None):
        self.handle_exit(signal.SIGINT, None)
        for listener in sockets:
            listener.close()

    monkeypatch.setattr(uvicorn.Server, "run", run_until_ctrl_c)
    site = Site(lambda progress: LocalEngine(data[0], progress), "here", SCHEMES["date"], wait_seconds=60)
    with pytest.raises(KeyboardInterrupt):
        serve(site, host="127.0.0.1", port=0, open_browser=False, out=io.StringIO(), err=io.StringIO())


def test_a_message_page_without_dates_reads_the_send_day_in_the_id_as_the_cli_does(data, capsys):
    root, _, message = data
    site = Site(lambda progress: LocalEngine(root, progress), "here", SCHEMES["date"], wait_seconds=60)
    page = TestClient(create_app(site, {"testserver"})).get(f"/message/{message}")
    assert page.status_code == 200 and "reading messages sent 2024-05-0" in page.text
    main(["message", message, "--local", str(root), "--json"])
    captured = capsys.readouterr()
    assert captured.err.startswith("seslog: reading messages sent 2024-05-0")
    assert TestClient(create_app(site, {"testserver"})).get(f"/message/{message}", params={"format": "json"}).json()[
        "timeline"
    ] == json.loads(captured.out)


# Safe: every response secured, questions only from these pages, JSON asked and answered.


def test_every_kind_of_response_carries_the_security_headers_and_json_asked_is_json_answered(client, data):
    _, _, message = data
    responses = {
        "page": client.get("/"),
        "404": client.get("/no/such/page"),
        "405": client.post("/"),
        "redirect": client.get("/", params={"q": message}, follow_redirects=False),
        "static": client.get("/static/style.css"),
        "400": client.get("/overview", params={"since": "7 days"}),
        "421": client.get("/", headers={"Host": "attacker.example"}),
        "403": client.get("/", params={"q": "taro@example.jp"}, headers={"Sec-Fetch-Site": "cross-site"}),
    }
    for kind, response in responses.items():
        assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS, kind
    assert responses["404"].status_code == 404 and '<a class="back" href="/">' in responses["404"].text
    for path, params, status in (("/no/such/page", {}, 404), ("/", {"q": ""}, 400), ("/", {"q": "x"}, 400)):
        answer = client.get(path, params={**params, "format": "json"})
        assert answer.status_code == status and answer.headers["content-type"] == "application/json"
        assert answer.json()["error"]


class CountingEngines:
    """An engine factory that counts the engines asked for: each is a question started."""

    def __init__(self, root):
        self.root, self.started = root, 0

    def __call__(self, progress):
        self.started += 1
        return LocalEngine(self.root, progress)


@pytest.mark.parametrize(
    ("headers", "runs"),
    [
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),  # another port of this machine is the same site, not the same origin
        ({"Origin": "http://127.0.0.1:9"}, False),
        ({"Referer": "http://attacker.example/page"}, False),
        ({"Origin": "null"}, False),  # a sandboxed frame or a file: page
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Sec-Fetch-Site": "none"}, True),  # typed or bookmarked
        ({"Referer": "http://testserver/?q=x"}, True),
        ({}, True),  # curl, an old browser's typed URL
    ],
)
def test_only_these_pages_or_the_user_start_a_query(data, headers, runs):
    root, address, message = data
    engines = CountingEngines(root)
    own = TestClient(create_app(Site(engines, "here", wait_seconds=60), {"testserver"}))
    for path, params in (("/", {"q": address, **RANGE}), (f"/message/{message}", RANGE), ("/overview", RANGE)):
        answer = own.get(path, params=params, headers=headers)
        assert (answer.status_code == 200) is runs and (answer.status_code == 403) is not runs, (path, headers)
        if not runs:
            assert 'class="confirm" href="' in answer.text and "another site must not be able to spend them" in answer.text
    assert engines.started == (3 if runs else 0)


def test_a_range_longer_than_the_log_keeps_is_refused_before_it_starts(data):
    root, address, _ = data
    engines = CountingEngines(root)
    kept = TestClient(create_app(Site(engines, "here", max_days=90, kept="the stack"), {"testserver"}))
    answer = kept.get("/overview", params={"since": "3660d", "format": "json"})
    assert answer.status_code == 400 and answer.json()["error"].startswith("the range ")
    assert "3661 days long, and the stack keeps 90: ask for at most that" in answer.json()["error"]
    held = kept.get("/", params={"q": address, "since": "90d"})
    assert held.status_code in (200, 202) and engines.started == 1
    # The copy holds none of the last 90 days: the page says so, and claims no "no trace" for them.
    assert "Not in this copy: the local copy holds none of the days asked" in held.text and "no trace" not in held.text


def test_questions_beyond_the_workers_and_the_waiting_room_get_503_with_retry_after():
    release, asked = threading.Event(), []
    site = Site(lambda progress: SlowEngine(release, asked), "a slow engine", wait_seconds=0.05, workers=1, waiting=1)
    slow = TestClient(create_app(site, {"testserver"}))
    first = slow.get("/overview", params={"from": "2024-05-01", "until": "2024-05-01"})
    second = slow.get("/overview", params={"from": "2024-05-02", "until": "2024-05-02"})
    third = slow.get("/overview", params={"from": "2024-05-03", "until": "2024-05-03", "format": "json"})
    try:
        assert (first.status_code, second.status_code, third.status_code) == (202, 202, 503)
        assert "Looking up the events of 2024-05-01 (UTC)." in first.text
        assert "waiting for an earlier question to finish" in second.text
        assert (
            third.headers["retry-after"] == "5" and "answers 1 at once and 1 more are waiting their turn" in third.json()["error"]
        )
    finally:
        release.set()


def test_finished_questions_are_forgotten_after_their_time_and_past_the_number_kept():
    jobs = Jobs(workers=1, waiting=4, keep_seconds=60, kept=2)
    for key in "abc":
        jobs.ask(key, lambda job, key=key: key).done.wait(5)
    assert len(jobs) == 3
    jobs.ask("d", lambda job: "d").done.wait(5)  # asking drops the oldest finished ones past the two kept
    assert len(jobs) <= 3 and jobs.ask("d", lambda job: "again").result == "d"
    expiring = Jobs(keep_seconds=0)
    first = expiring.ask("a", lambda job: 1)
    first.done.wait(5)
    time.sleep(0.01)
    assert expiring.ask("a", lambda job: 2) is not first


def test_a_message_page_lists_the_recipients_it_failed_for_first(client, data):
    _, _, message = data
    page = client.get(f"/message/{message}", params=RANGE)
    verdicts = client.get(f"/message/{message}", params={**RANGE, "format": "json"}).json()["why"]["verdicts"]
    shown = re.findall(r'<span class="recipient">([^<]+)</span>', page.text)
    failed = [v["recipient"] for v in verdicts if v["reason"] not in ("delivered", "feedback", "onhold")]
    assert failed and shown[: len(failed)] == failed


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["mail-host.example"], "mail-host.example:8080"),
        (["mail-host.example:80"], "mail-host.example:80"),
        (["192.0.2.10"], "192.0.2.10:8080"),
        (["2001:db8::10"], "[2001:db8::10]:8080"),
        (["[2001:db8::10]:443"], "[2001:db8::10]:443"),
    ],
)
def test_a_host_header_is_what_a_browser_sends_for_the_name_allowed(names, expected):
    assert _host_header(names[0], 8080) == expected


def test_a_host_other_than_loopback_needs_the_names_to_answer_to(capsys, data):
    root, _, _ = data
    code = main(["serve", "--local", str(root), "--host", "0.0.0.0"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("seslog: --host 0.0.0.0 needs --allow-host NAME") and err.count("\n") == 1
