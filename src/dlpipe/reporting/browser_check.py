"""Open a report page in headless Chromium and check what a reader would see.

Every <img> must have loaded (complete, naturalWidth > 0), the browser console must hold no
error (SEVERE entries: a missing file, a script error, a refused resource), and nothing may come
from the network (every resource the page loaded is a file: or data: URL). A full-page
screenshot is saved either way, to look at.

Debian's `chromium` and `chromium-driver` packages (`make browser` installs them) are driven by
Selenium through the system chromedriver: Selenium never downloads a driver or a browser here.
`python -m dlpipe.reporting.browser_check reports/index.html --screenshot build/report.png`
is what `make check-report` runs.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = "install Debian's chromium and chromium-driver: `make browser`"
WIDTH = 1280
MAX_HEIGHT = 30000  # a screenshot taller than this is cut (Chromium's texture limits)
PAGE_TIMEOUT_S = 60

IMAGES_JS = """
return Array.from(document.images).map(img => ({
  src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth}));
"""
RESOURCES_JS = """
const loaded = performance.getEntriesByType('resource').map(e => e.name);
const tags = 'img[src], script[src], link[href], iframe[src]';
const linked = Array.from(document.querySelectorAll(tags))
  .filter(el => el.tagName !== 'LINK' || el.rel !== 'alternate')
  .map(el => el.src || el.href);
return loaded.concat(linked);
"""


@dataclass(frozen=True)
class PageCheck:
    page: Path
    screenshot: Path
    images: int
    broken_images: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return (
            [f"image did not load: {src}" for src in self.broken_images]
            + [f"console error: {message}" for message in self.console_errors]
            + [f"fetched from the network: {url}" for url in self.remote]
        )


def browser_paths() -> tuple[Path, Path]:
    """(chromium, chromedriver): Debian's, or CHROMIUM_BINARY / CHROMEDRIVER if set."""
    chromium = Path(os.environ.get("CHROMIUM_BINARY", CHROMIUM))
    driver = Path(os.environ.get("CHROMEDRIVER", CHROMEDRIVER))
    missing = [str(p) for p in (chromium, driver) if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"no {' or '.join(missing)}: {INSTALL_HINT}")
    return chromium, driver


def check_page(page: Path, screenshot: Path, width: int = WIDTH) -> PageCheck:
    """Load `page` (a local HTML file) in headless Chromium; see the module docstring."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={width},900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    try:
        driver.set_page_load_timeout(PAGE_TIMEOUT_S)
        driver.get(page.resolve().as_uri())  # returns after the load event: images are in
        images = driver.execute_script(IMAGES_JS)
        resources = driver.execute_script(RESOURCES_JS)
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        _save_full_page(driver, screenshot, width)
    finally:
        driver.quit()
    return PageCheck(
        page=page,
        screenshot=screenshot,
        images=len(images),
        broken_images=[i["src"] for i in images if not i["complete"] or i["width"] <= 0],
        console_errors=errors,
        remote=sorted({u for u in resources if u and not u.startswith(("file:", "data:"))}),
    )


def _save_full_page(driver: object, screenshot: Path, width: int) -> None:
    """The whole page, not only the window, as PNG (Chromium's DevTools screenshot)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    shot = driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(height, MAX_HEIGHT), "scale": 1},
        },
    )
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.write_bytes(base64.b64decode(shot["data"]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="the HTML file, e.g. reports/index.html")
    parser.add_argument("--screenshot", type=Path, default=Path("build/report.png"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.page.is_file():
        log.error("%s does not exist: build it first (`dvc repro build_report`)", args.page)
        return 1
    result = check_page(args.page, args.screenshot)
    log.info(
        "%s: %d images, %d console errors; screenshot %s",
        result.page,
        result.images,
        len(result.console_errors),
        result.screenshot.resolve(),
    )
    for problem in result.problems:
        log.error("%s", problem)
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
