"""Mobile-network figures in a zone's crowd card, in headless Chromium against `beffroi serve` on the tiny scenario
with simulated phones on its stadium and the mobile worker on: once a 5-minute slot has closed, the card shows the
slot's operator and market share, present / residents / visitors / day visitors (each a number or "fewer than k"),
and says that counts under k subscribers are withheld."""

from __future__ import annotations

import time
from collections.abc import Iterator

import msgspec
import pytest
from playwright.sync_api import Page, expect

from beffroi.sim.phones import cell_plan
from beffroi.sim.scenario import load_scenario
from tests.browser.conftest import screenshot
from tests.browser.server import ROOT, RunningServer, beffroi_server
from tests.browser.test_crowd_console import CONFIG as CROWD_CONFIG
from tests.browser.test_crowd_console import log_in, open_a_zone

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TENANT = "tiny"
SITE = "tiny-stadium"
TINY = ROOT / "scenarios" / "tests" / "tiny.json"
SEED = 5
"""The crowd console server's simulation seed: the cell plan written here must be the simulator's."""

CONFIG = (
    CROWD_CONFIG.replace("random_incidents_per_hour = 0.0\n", f'random_incidents_per_hour = 0.0\nphones = ["{SITE}"]\n')
    + """
[mobile]
enabled = true
cell_plan = "{data_dir}/cell-plan.json"
secret_file = "{data_dir}/mobile-secret"
k = 5
departement = "75"
"""
)
"""The crowd console's server (tiny scenario, speed 6, seed 5) with phones on the stadium and the mobile worker."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("crowd-mobile")
    plan = cell_plan(load_scenario(TINY), "Orange", 0.4, SEED, sites=[SITE])
    (data_dir / "cell-plan.json").write_bytes(msgspec.json.encode(plan))
    (data_dir / "mobile-secret").write_text("a-browser-test-secret-of-32-bytes!\n")
    with beffroi_server(data_dir, CONFIG, TENANT, {"guet": "viewer"}) as running:
        yield running


def test_a_zones_card_shows_its_mobile_network_slot_with_withheld_counts_said(
    server: RunningServer, page: Page
) -> None:
    log_in(page, server)
    open_a_zone(page)
    card = page.locator("#zone-crowd")
    expect(card).to_be_visible(timeout=15_000)
    # a slot closes 5 simulated minutes (50 s at this speed) after the phones start, plus its lateness
    deadline = time.monotonic() + 150
    while page.locator("#zone-mobile .zone-mobile-slot").count() == 0:
        assert time.monotonic() < deadline, f"{card.inner_text()}\n{server.log()[-3000:]}"
        page.locator("#details button.ghost.icon").click()
        page.wait_for_timeout(3000)
        open_a_zone(page)
    section = page.locator("#zone-mobile")
    expect(section.locator("#zone-mobile-privacy")).to_contain_text("k = 5")
    slot = section.locator(".zone-mobile-slot").first
    expect(slot).to_contain_text("Orange")
    expect(slot).to_contain_text("40 %")
    counts = slot.locator(".zone-mobile-counts dd")
    expect(counts).to_have_count(4)
    for text in counts.all_inner_texts():
        assert text.strip() == "moins de 5" or text.strip().replace("\u202f", "").replace(" ", "").isdigit(), text
    slot.scroll_into_view_if_needed()
    screenshot(page, "tiny-zone-mobile")
