"""A real browser on `seslog serve`: headless Chromium searches an address, follows a result to its message
page and finds the verdict there, with local times added by the page's script under its CSP."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime

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
