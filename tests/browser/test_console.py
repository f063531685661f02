"""The console in headless Chromium against a real `beffroi serve` process on the tiny scenario, whose simulator
injects a fire: log in, see the site, see the fire alarm arrive live, acknowledge it, find it in the audit log;
a viewer gets no action buttons; the interface speaks French and English; a bad password is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.server import ROOT, RunningServer, beffroi_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TENANT = "tiny"
SITE = "tiny-stadium"
SMOKE = "tiny-plant-room-smoke-01"
SPEED = 4.0
FIRE_AT_S = 80.0  # scenario seconds: 20 s of wall time after the start, once the test has logged in

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
absence_check_s = 1.0

[api]
host = "127.0.0.1"
port = {{port}}

[sim]
speed = {SPEED}
seed = 5
random_incidents_per_hour = 0.0
ground_truth_path = "{{data_dir}}/ground-truth.jsonl"
incidents = [{{ kind = "fire", at_s = {FIRE_AT_S}, device = "{SMOKE}", duration_s = 900.0 }}]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("console")
    users = {"chef": "supervisor", "guet": "viewer"}
    with beffroi_server(data_dir, CONFIG, TENANT, users) as running:
        yield running


def log_in(page: Page, server: RunningServer, username: str) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#login-tenant")).to_have_value(TENANT)
    page.fill("#login-username", username)
    page.fill("#login-password", server.passwords[username])
    page.click("#login-submit")
    expect(page.locator("#user-role")).to_be_visible(timeout=10_000)


def api_token(server: RunningServer, username: str) -> str:
    response = httpx.post(
        f"{server.url}/api/auth/login",
        json={"tenant": TENANT, "username": username, "password": server.passwords[username]},
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def fire_alarm_ids(server: RunningServer, token: str) -> list[str]:
    response = httpx.get(f"{server.url}/api/alarms", headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return [alarm["id"] for alarm in response.json() if alarm["key"]["type"] == "fire_alarm"]


def test_a_bad_password_is_refused_with_a_message(server: RunningServer, page: Page) -> None:
    page.goto(server.url + "/")
    page.fill("#login-username", "chef")
    page.fill("#login-password", "not-the-password")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#user-role")).to_have_count(0)


def test_the_interface_switches_between_french_and_english(server: RunningServer, page: Page) -> None:
    page.goto(server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    french = page.locator("#login-submit").inner_text()
    page.click("[data-lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.locator("#login-submit").inner_text() != french


def test_an_operator_sees_the_fire_arrive_live_acknowledges_it_and_finds_it_in_the_audit_log(
    server: RunningServer, page: Page
) -> None:
    log_in(page, server, "chef")
    expect(page.locator("#user-role")).to_have_text("supervisor")
    expect(page.locator(f'.site-marker[data-site-id="{SITE}"]')).to_have_count(1)
    expect(page.locator("[data-testid=live-status]")).to_have_attribute("data-state", "live", timeout=10_000)
    screenshot(page, "tiny-logged-in")

    # Wait for the simulator's fire: note when the API first lists it and when the console first shows it.
    token = api_token(server, "chef")
    deadline = time.monotonic() + 90.0
    seen_by_api: float | None = None
    alarm_id = ""
    while time.monotonic() < deadline:
        if seen_by_api is None:
            ids = fire_alarm_ids(server, token)
            if ids:
                seen_by_api, alarm_id = time.monotonic(), ids[0]
        if alarm_id and page.locator(f'[data-alarm-id="{alarm_id}"]').count():
            break
        time.sleep(0.1)
    assert seen_by_api is not None, f"the simulator's fire never became an alarm:\n{server.log()}"
    row = page.locator(f'[data-alarm-id="{alarm_id}"]')
    expect(row).to_have_count(1, timeout=1)
    delay = time.monotonic() - seen_by_api
    assert delay < 3.0, f"the console showed the alarm {delay:.1f} s after the API had it"
    expect(row).to_have_attribute("data-state", "unacknowledged")
    expect(row).to_have_attribute("data-priority", "1")
    # The new alarm pulses on the map where it is (near its site), not in a corner.
    pulse = page.locator(f'[data-alarm-pulse="{alarm_id}"]').bounding_box()
    site = page.locator(f'.site-marker[data-site-id="{SITE}"]').bounding_box()
    assert pulse is not None and site is not None
    distance = abs(pulse["x"] - site["x"]) + abs(pulse["y"] - site["y"])
    assert distance < 400, f"the pulse is drawn at {pulse}, far from its site at {site}"
    injected = [json.loads(line) for line in (server.data_dir / "ground-truth.jsonl").read_text().splitlines()]
    assert any(truth.get("kind") == "fire" for truth in injected), injected
    screenshot(page, "tiny-fire-alarm")

    row.locator("button[data-action=acknowledge]").click()
    expect(row).to_have_attribute("data-state", "acknowledged", timeout=10_000)
    expect(row.locator("button[data-action=acknowledge]")).to_have_count(0)

    page.click("[data-tab=audit]")
    entry = page.locator('[data-audit-action="alarm.acknowledged"]').filter(has_text=alarm_id)
    expect(entry).to_have_count(1, timeout=10_000)
    expect(entry).to_contain_text("chef")
    screenshot(page, "tiny-audit")


def test_a_viewer_sees_the_alarms_but_no_action_buttons_and_no_audit_tab(server: RunningServer, page: Page) -> None:
    token = api_token(server, "chef")
    deadline = time.monotonic() + 90.0
    while not fire_alarm_ids(server, token):
        assert time.monotonic() < deadline, "no fire alarm to look at"
        time.sleep(0.5)
    log_in(page, server, "guet")
    expect(page.locator("#user-role")).to_have_text("viewer")
    rows = page.locator("[data-alarm-id]")
    expect(rows.first).to_be_visible(timeout=10_000)
    expect(page.locator("button[data-action]")).to_have_count(0)
    expect(page.locator("[data-tab=audit]")).to_have_count(0)


def test_the_console_page_is_served_with_a_strict_content_security_policy(server: RunningServer) -> None:
    response = httpx.get(server.url + "/")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert '<script type="module"' in response.text


def test_a_supervisor_works_the_fire_incident_and_a_skipped_step_reaches_the_supervision_tab(
    server: RunningServer, page: Page
) -> None:
    token = api_token(server, "chef")
    deadline = time.monotonic() + 90.0
    while not fire_alarm_ids(server, token):
        assert time.monotonic() < deadline, "no fire alarm, so no fire incident"
        time.sleep(0.5)
    log_in(page, server, "chef")
    page.click("[data-tab=incidents]")
    row = page.locator("[data-incident-id]").first
    expect(row).to_be_visible(timeout=20_000)
    row.click()
    drawer = page.locator("#incident-detail")
    expect(drawer).to_be_visible(timeout=10_000)
    incident_id = drawer.get_attribute("data-incident-id")
    assert incident_id, "the drawer does not say which incident it shows"
    procedure = drawer.locator("section.procedure")
    expect(procedure).to_contain_text("Procédure : Incendie", timeout=10_000)  # the interface is in French
    expect(procedure).to_contain_text("Levée de doute à distance")
    skip = drawer.locator("button[data-step-action=skip]").first
    expect(skip).to_be_visible(timeout=10_000)
    skip.click()
    page.fill("#skip-justification", "the stewards are already on the spot")
    page.click("#skip-confirm")
    expect(drawer.locator("[data-step-id][data-status=skipped]").first).to_be_visible(timeout=10_000)
    screenshot(page, "tiny-incident")

    page.click("[data-tab=supervision]")
    expect(page.locator("[data-notification-id]").first).to_be_visible(timeout=20_000)
    expect(page.locator("[data-notification-id]").first).to_contain_text("the stewards are already on the spot")
    screenshot(page, "tiny-supervision")
