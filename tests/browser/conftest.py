"""Headless Chromium (Debian's, driven by Playwright) for the browser tests; they skip with a message when Chromium
or the console build is missing, and fail instead on CI (BEFFROI_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from beffroi.api.console import CONSOLE_DIR

CHROMIUM = Path(os.environ.get("BEFFROI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("BEFFROI_SCREENSHOTS", "/tmp/beffroi-screenshots"))


def _missing(message: str) -> None:
    if os.environ.get("BEFFROI_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Not per session: Playwright's sync API keeps its event loop running on the main
    thread while it is started, and the asyncio tests that run after the browser tests need that thread free."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: run scripts/setup.sh --dev (it installs Debian's chromium)")
    if not (CONSOLE_DIR / "index.html").is_file():
        _missing(f"the console is not built in {CONSOLE_DIR}: run scripts/setup.sh")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no stored token) with a control-room sized window."""
    context = browser.new_context(viewport={"width": 1600, "height": 900}, locale="fr-FR")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"the console raised in the page: {errors}"


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot to look at (BEFFROI_SCREENSHOTS, /tmp/beffroi-screenshots by default)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
