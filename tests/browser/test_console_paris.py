"""The console on the README's demo (the whole Paris 2024 scenario streaming): every site on the national map,
the live stream up, alarms listed by priority, a site's zones and devices when zoomed in — with screenshots to look
at (BEFFROI_SCREENSHOTS, /tmp/beffroi-screenshots by default)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.demo import running_demo
from tests.browser.server import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PARIS_SITES = 76
STADE_DE_FRANCE = "stade-de-france"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_demo(tmp_path_factory.mktemp("demo"), speed=10.0) as server:
        yield server


def test_the_demo_console_shows_every_site_live_and_the_alarms_by_priority(demo: RunningServer, page: Page) -> None:
    page.goto(demo.url + "/")
    expect(page.locator("#login-tenant")).to_have_value("paris2024")
    page.fill("#login-username", "demo")
    page.fill("#login-password", demo.passwords["demo"])
    page.click("#login-submit")
    expect(page.locator("#user-role")).to_have_text("admin", timeout=15_000)
    expect(page.locator(".site-marker")).to_have_count(PARIS_SITES, timeout=20_000)
    expect(page.locator("[data-testid=live-status]")).to_have_attribute("data-state", "live", timeout=15_000)
    # At 10× the simulator raises alarms quickly (devices and injected incidents): wait for some.
    expect(page.locator("[data-alarm-id]").first).to_be_visible(timeout=60_000)
    page.wait_for_timeout(3_000)
    screenshot(page, "paris-national")

    priorities = [
        int(p) for p in page.locator("[data-alarm-id]").evaluate_all("rows => rows.map(r => r.dataset.priority)")
    ]
    assert priorities == sorted(priorities), f"alarms not sorted by priority: {priorities}"

    page.locator(f'.site-marker[data-site-id="{STADE_DE_FRANCE}"]').click()
    page.wait_for_timeout(4_000)  # the map flies to the site; zones and devices appear
    screenshot(page, "paris-stade-de-france")
    expect(page.locator("[data-testid=live-status]")).to_have_attribute("data-state", "live")
