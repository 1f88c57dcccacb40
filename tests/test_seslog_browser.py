"""A real browser on `seslog serve`: headless Chromium searches an address, follows a result to its message
page and finds the verdict there, with local times added by the page's script under its CSP."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from scripts.screenshot import CHROMEDRIVER, CHROMIUM, browser, start_server
from seslog.eventlog.generator import generate, load_samples
from seslog.eventlog.layout import write_layout

pytestmark = pytest.mark.skipif(
    not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)) and os.environ.get("CI") != "true",
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them; CI never skips this)",
)


def test_search_then_the_message_page_with_its_verdict(tmp_path):
    records = list(generate(load_samples(), seed=4, start=datetime(2024, 5, 1, tzinfo=UTC), days=1, messages=40, recipients=4))
    write_layout(records, tmp_path / "data", format="json", partitioning="date")
    address = next(r["mail"]["destination"][0] for _, r in records if r["eventType"] == "Delivery")
    server, url = start_server(tmp_path / "data")
    driver = browser(tmp_path / "profile", width=400, height=900)  # a phone's width
    try:
        driver.implicitly_wait(20)
        driver.get(url)
        box = driver.find_element("id", "q")
        box.send_keys(address)
        driver.find_element("css selector", "input[name=from]").send_keys("05/01/2024")
        driver.find_element("css selector", "input[name=until]").send_keys("05/01/2024")  # within what a local copy keeps
        box.submit()
        driver.find_element("css selector", "a.message").click()
        status = driver.find_element("css selector", ".verdict .status").text
        assert status and driver.current_url.startswith(f"{url}message/")
        assert "your time)" in driver.find_element("css selector", "time + .local").text  # the script ran under the CSP
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")  # fits the phone
        driver.save_screenshot(str(tmp_path / "message.png"))
        assert (tmp_path / "message.png").stat().st_size > 10_000
    finally:
        driver.quit()
        server.terminate()
        server.wait(10)


DESKTOP, PHONE = (1280, 900), (390, 844)
DAYS = "from=2024-05-01&until=2024-05-03"
LONG_SUBJECT = ("Unbroken" * 40)[:300]
LONG_SENDER = "no-reply-" + "x" * 120 + "@" + "mail" * 20 + ".example.jp"
FITS = "return document.documentElement.scrollWidth <= window.innerWidth + 1 && window.innerWidth === arguments[0]"
"""No horizontal scrolling, at the width asked for (a phone's viewport widens to content that overflows it)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`seslog serve` on three days of generated mail, one message with a 300-character unbroken subject sent
    from a long unbroken address: (url, that message's ID, one of its recipients)."""
    root = tmp_path_factory.mktemp("site")
    records = list(generate(load_samples(), seed=7, start=datetime(2024, 5, 1, tzinfo=UTC), days=3, messages=90, recipients=6))
    long = next(r for _, r in records if r["eventType"] == "Delivery")
    long["mail"]["commonHeaders"]["subject"] = LONG_SUBJECT  # shared by the message's records
    long["mail"]["source"] = LONG_SENDER
    write_layout(records, root / "data", format="json", partitioning="date")
    server, url = start_server(root / "data")
    yield url, long["mail"]["messageId"], long["mail"]["destination"][0]
    server.terminate()
    server.wait(10)


@contextmanager
def opened(tmp_path, url: str, size: tuple[int, int], wait_for: str):
    driver = browser(tmp_path / f"profile-{size[0]}", width=size[0], height=size[1])
    try:
        driver.implicitly_wait(20)  # the page may say "running" and reload itself first
        driver.get(url)
        driver.find_element("css selector", wait_for)
        yield driver
    finally:
        driver.quit()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_overview_fits_the_window_with_small_legend_swatches(site, tmp_path, size):
    url, _, _ = site
    with opened(tmp_path, f"{url}overview?{DAYS}", size, "table.failures") as driver:
        swatches = driver.execute_script(
            "return Array.from(document.querySelectorAll('figcaption .key svg'), s => s.getBoundingClientRect().toJSON())"
        )
        assert len(swatches) >= 6 and all(0 < s["width"] <= 16 and 0 < s["height"] <= 16 for s in swatches), swatches
        assert driver.execute_script(FITS, size[0]), driver.execute_script("return document.documentElement.scrollWidth")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        assert height < (3000 if size == DESKTOP else 8000), height
        if size == PHONE:  # the failures table's rows stack, their numbers named
            cell = driver.find_element("css selector", "table.failures td[data-label=Bounces]")
            assert driver.execute_script("return getComputedStyle(arguments[0], '::before').content", cell) != "none"
            assert driver.find_element("css selector", "table.failures thead").is_displayed() is False


def test_the_rate_charts_legend_draws_the_review_rates_dashed(site, tmp_path):
    url, _, _ = site
    with opened(tmp_path, f"{url}overview?{DAYS}", DESKTOP, "figure.chart polyline") as driver:
        charts = driver.execute_script(
            """return Array.from(document.querySelectorAll('figure.chart'), figure => ({
                 lines: Array.from(figure.querySelectorAll(':scope > svg polyline'), l => [
                   l.querySelector('title').textContent, getComputedStyle(l).strokeDasharray !== 'none']),
                 keys: Array.from(figure.querySelectorAll('figcaption .key'), k => [
                   k.textContent.trim(), !!k.querySelector('svg line'),
                   !!k.querySelector('svg line') && getComputedStyle(k.querySelector('svg line')).strokeDasharray !== 'none'])}))"""
        )
    rates = next(c for c in charts if c["lines"])
    dashed = {label for label, is_dashed in rates["lines"] if is_dashed}
    assert {"SES reviews at 5.0%", "SES reviews at 0.1%"} <= dashed
    # Each series has its key, a line sample drawn as the series is: dashed for the review rates only.
    assert sorted(rates["keys"]) == sorted([label, True, label in dashed] for label, _ in rates["lines"])
    events = next(c for c in charts if not c["lines"])
    assert events["keys"] and not any(has_line for _, has_line, _ in events["keys"])  # bars: squares


def test_a_long_unbroken_subject_and_sender_fit_a_phone(site, tmp_path):
    url, message_id, _ = site
    page = f"{url}message/{quote(message_id)}?{DAYS}"
    with opened(tmp_path, page, PHONE, ".verdict .status") as driver:
        assert driver.find_element("css selector", ".sent .subject").text == LONG_SUBJECT
        assert driver.find_element("css selector", ".sent .sender").text == LONG_SENDER
        assert driver.execute_script(FITS, PHONE[0]), driver.execute_script("return document.documentElement.scrollWidth")


def test_on_a_phone_the_search_answers_in_words_and_no_number_is_unlabelled(site, tmp_path):
    url, _, address = site
    with opened(tmp_path, f"{url}?q={quote(address)}&{DAYS}", PHONE, "a.message") as driver:
        assert driver.execute_script(FITS, PHONE[0])
        driver.implicitly_wait(0)  # the page is in: none is none, without waiting for one to appear
        verdicts = driver.find_elements("css selector", ".verdicts article")
        assert verdicts and all(v.find_element("css selector", ".status").text for v in verdicts)
        numbers = driver.find_elements("css selector", "td.number")
        assert all(td.get_attribute("data-label") for td in numbers)
        before = [driver.execute_script("return getComputedStyle(arguments[0], '::before').content", td) for td in numbers]
        assert all(content not in ("none", "normal", "") for content in before), before


def test_a_page_of_another_origin_cannot_make_the_server_look_anything_up(tmp_path):
    """A page on another port of this machine (another origin, the same site) loads an image from the server's search
    and links to it: the browser sends the request, with its cookies, but the server starts no query."""
    import http.server
    import threading

    records = list(generate(load_samples(), seed=4, start=datetime(2024, 5, 1, tzinfo=UTC), days=1, messages=10, recipients=2))
    write_layout(records, tmp_path / "data", format="json", partitioning="date")
    server, url = start_server(tmp_path / "data")
    asked = f"{url}?q=victim%40example.jp&from=2024-05-01&until=2024-05-01"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "index.html").write_text(
        f'<!doctype html><img id="probe" src="{asked}"><a id="link" href="{asked}">a link</a>', encoding="utf-8"
    )

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(tmp_path / "elsewhere")))
    threading.Thread(target=other.serve_forever, daemon=True).start()
    driver = browser(tmp_path / "profile")
    try:
        driver.implicitly_wait(10)
        driver.get(f"http://127.0.0.1:{other.server_address[1]}/index.html")
        driver.execute_script("return document.getElementById('probe').complete")
        driver.find_element("id", "link").click()  # a top-level navigation from the other origin
        assert driver.find_element("css selector", "h1").text == "Asked from another site"
        driver.find_element("css selector", "a.confirm").click()  # followed here, it is the user's own question
        assert driver.find_element("css selector", "h2").text.startswith("The mail to victim@example.jp")
    finally:
        driver.quit()
        other.shutdown()
        server.terminate()
        log = server.stderr.read()
        server.wait(10)
    refused = log.count("seslog serve: refused, as asked by a page of another site: what became of the mail to victim")
    looked_up = log.count("seslog serve: looking up what became of the mail to victim@example.jp")
    assert refused == 2 and looked_up == 1, log  # the image and the link refused; the confirmed question run once
