"""The crowd picture in the console, in headless Chromium against `beffroi serve` on the tiny scenario: the map's
crowd layers (density heatmap, levels of service) with their control, and a zone's card with its crowd chart (fused
people and band, forecast ahead of now, thresholds), the sources of the latest figure, and no mobile-network data
said as such."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.server import ROOT, RunningServer, beffroi_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TENANT = "tiny"
SITE = "tiny-stadium"

CONFIG = f"""
tenant = "{TENANT}"
scenario = "{ROOT / "scenarios" / "tests" / "tiny.json"}"
data_dir = "{{data_dir}}"
log_level = "WARNING"

[store]
url = "sqlite:///{{data_dir}}/beffroi.db"

[bus]
kind = "inprocess"
url = "inprocess://"

[mqtt]
enabled = false

[http_ingest]
enabled = false

[ingest]
max_future_skew_s = 100000.0

[engine]
clock = "data"

[crowd]
tick_s = 2.0

[api]
host = "127.0.0.1"
port = {{port}}

[sim]
speed = 6.0
seed = 5
random_incidents_per_hour = 0.0
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("crowd-console")
    with beffroi_server(data_dir, CONFIG, TENANT, {"guet": "viewer"}) as running:
        yield running


def log_in(page: Page, server: RunningServer) -> None:
    page.goto(server.url + "/")
    page.fill("#login-username", "guet")
    page.fill("#login-password", server.passwords["guet"])
    page.click("#login-submit")
    expect(page.locator("#user-role")).to_be_visible(timeout=10_000)


def open_a_zone(page: Page) -> None:
    """Go to the site, close its card, and click the map around its centre until a zone's card opens."""
    marker = page.locator(f'.site-marker[data-site-id="{SITE}"]')
    expect(marker).to_have_count(1, timeout=10_000)
    marker.click(force=True)
    page.wait_for_timeout(1500)  # the map flies to the site
    page.locator("#details button.ghost.icon").click()
    box = page.locator(".maplibregl-canvas").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in [(0, 0), (60, 0), (-60, 0), (0, 60), (0, -60), (120, 120), (-120, -120), (150, -80)]:
        page.mouse.click(x + dx, y + dy)
        page.wait_for_timeout(400)
        if page.locator("#details[data-kind=zone]").is_visible():
            return
    raise AssertionError("no zone under the site's centre")


def test_the_crowd_layers_and_a_zones_crowd_card(server: RunningServer, page: Page) -> None:
    log_in(page, server)
    control = page.locator("#crowd-layers")
    expect(control).to_be_visible(timeout=15_000)
    heat = page.locator("#crowd-layer-heat")
    expect(heat).to_be_checked()
    expect(page.locator("#crowd-layer-levels")).to_be_checked()
    heat.uncheck()
    expect(heat).not_to_be_checked()
    heat.check()

    open_a_zone(page)
    card = page.locator("#zone-crowd")
    expect(card).to_be_visible()
    # the crowd worker's first figures come within seconds; the chart then shows them (reloaded every 30 s)
    deadline = time.monotonic() + 90
    while page.locator("#zone-crowd .zone-chart").count() == 0:
        assert time.monotonic() < deadline, card.inner_text()
        page.locator("#details button.ghost.icon").click()
        page.wait_for_timeout(3000)
        open_a_zone(page)
    chart = card.locator(".zone-chart")
    expect(chart.locator(".zone-chart-fused")).to_have_count(1)
    expect(chart.locator(".zone-chart-band")).to_have_count(1)
    expect(card.locator(".zone-crowd-latest")).to_contain_text("personnes")
    expect(card.locator("#zone-crowd-sources li").first).to_be_visible()
    expect(card.locator("#zone-mobile-none")).to_have_text("Pas de données du réseau mobile pour cette zone.")
    screenshot(page, "tiny-zone-crowd")

    # a minute of the zone's own time later, its forecast is drawn ahead of now with its band
    deadline = time.monotonic() + 90
    while chart.locator(".zone-chart-forecast").count() == 0 and card.locator(".zone-crowd-forecast").count() == 0:
        assert time.monotonic() < deadline, card.inner_text()
        page.locator("#details button.ghost.icon").click()
        page.wait_for_timeout(3000)
        open_a_zone(page)
        chart = page.locator("#zone-crowd .zone-chart")
    expect(page.locator("#zone-crowd .zone-crowd-forecast").first).to_contain_text("Dans 15 min")
    expect(page.locator("#zone-crowd .zone-chart-forecast-band")).to_have_count(1)
    screenshot(page, "tiny-zone-crowd-forecast")
