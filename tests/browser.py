"""Headless Chromium for tests: Debian's ``chromium`` driven by Playwright.

Nothing is downloaded: Playwright is pointed at the system browser. Without
it, tests skip with a message saying how to install it -- except under
``CI=true``, where a missing browser fails the test (``.ci/run`` installs it).
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
LOCAL_SCHEMES = ("file:", "data:", "about:")


def chromium_path() -> str | None:
    """The system chromium, if installed."""
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing(what: str) -> None:
    """Skip (fail under CI) because ``what`` is not installed."""
    message = (f"{what} is not installed: browser tests need Debian's chromium "
               "(sudo apt-get install chromium) and Playwright (pip install -e '.[dev]')")
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so browser tests must run: {message}")
    pytest.skip(message)


def launch() -> Iterator[Any]:
    """Yield a launched headless chromium (closed afterwards)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright")
    path = chromium_path()
    if path is None:
        missing("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """A page and what it did: console errors and every request it tried."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        """Requests that left the machine (anything but file:/data:)."""
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]


def visit(browser: Any, url: str, *, dark: bool = False, width: int = 1200,
          script: bool = True) -> Visit:
    """Open ``url`` in a fresh context (``script=False``: with JavaScript off);
    any request off the machine is blocked and recorded."""
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  color_scheme="dark" if dark else "light",
                                  java_script_enabled=script)
    page = context.new_page()
    seen = Visit(page)
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))

    def route(r: Any) -> None:
        seen.requests.append(r.request.url)
        if r.request.url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.goto(url)
    return seen


def pixel_spread(png: bytes) -> float:
    """Standard deviation of the grey levels of a PNG (a blank page gives ~0)."""
    from PIL import Image, ImageStat

    return float(ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L")).stddev[0])
