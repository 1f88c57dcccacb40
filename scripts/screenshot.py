"""The pictures of `seslog serve` in the README and docs/investigating.md: the message page and the overview
on the demo data, photographed by headless Chromium (Debian's chromium and chromium-driver) through Selenium.

    venv/bin/python -m scripts.screenshot      # writes docs/images/message-page.png and overview-page.png

Japanese subjects need a CJK font in the browser (Debian's fonts-noto-cjk).

The tests drive the browser with the same two functions.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PICTURE = ROOT / "docs" / "images" / "message-page.png"
OVERVIEW = ROOT / "docs" / "images" / "overview-page.png"
OVERVIEW_RANGE = "from=2024-05-01&until=2024-05-03"
"""The demo data set's three days, as the README writes them."""
NARROWEST_WINDOW = 500
"""Chromium's windows are no narrower than this, headless too: a phone's width is emulated instead."""
MESSAGE = "0100018f40071d2e-c6e8799c-7adc-487a-8358-88c70ddb3ebd-000000"
"""The guide's example: the message whose soft bounce its walk through follows."""


def start_server(directory: Path) -> tuple[subprocess.Popen, str]:
    """`seslog serve --local directory` on a free port, and the address it printed. It runs beside the
    directory, so that the page names it as a person would type it."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "seslog", "serve", "--local", directory.name],
        cwd=directory.parent,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = server.stdout.readline()
    found = re.search(r"on (http://127\.0\.0\.1:\d+/) ", started)
    if not found:
        server.kill()
        raise RuntimeError(f"seslog serve did not start: {started}{server.stderr.read()}")
    return server, found.group(1)


def browser(profile: Path, width: int = 1100, height: int = 900):
    """Headless Chromium, with the flags a closed network needs (no background connections). Narrower than
    a window can be, the viewport is a phone's: that width, and the page's viewport meta tag applies."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    if width < NARROWEST_WINDOW:
        viewport(driver, width, height, mobile=True)
    return driver


def viewport(driver, width: int, height: int, mobile: bool = False) -> None:
    """The page's viewport in CSS pixels, whatever the window's size, until the browser quits."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "demo"
        subprocess.run(
            [sys.executable, "-m", "seslog", "demo-data", "--start", "2024-05-01", str(data)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        server, url = start_server(data)
        try:
            driver = browser(Path(scratch) / "profile", height=1250)
            try:
                driver.get(f"{url}message/{MESSAGE}?from=2024-05-03&until=2024-05-03")
                driver.implicitly_wait(30)
                driver.find_element("css selector", ".verdict .status")
                PICTURE.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(PICTURE))
                driver.get(f"{url}overview?{OVERVIEW_RANGE}")
                driver.find_element("css selector", "figure.chart")
                viewport(driver, 1100, 1500)  # the charts, the totals and the largest failures
                driver.save_screenshot(str(OVERVIEW))
            finally:
                driver.quit()
        finally:
            server.terminate()
            server.wait(10)
    print(f"wrote {PICTURE.relative_to(ROOT)} and {OVERVIEW.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
