"""Cameras in the console, in headless Chromium against a real `beffroi serve` with one simulated camera (the
"incidents" scene) on the tiny scenario: its marker on the map with its state, its card with the live annotated view
(frames that load and follow one another, their age), its analytics with their legal basis; the view stops when the
card closes; an alarm raised from the camera shows the picture of its event and opens the camera's live view; the
incident it joined shows that picture in its drawer."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import screenshot
from tests.browser.server import ROOT, RunningServer, beffroi_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TENANT = "tiny"
CAMERA = "tiny-square-video"
VIDEO_ALARMS = {"camera_intrusion", "abandoned_object", "person_down"}

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

[api]
host = "127.0.0.1"
port = {{port}}

[sim]
speed = 1.0
seed = 5
random_incidents_per_hour = 0.0

[[video.simulated]]
id = "{CAMERA}"
scene = "incidents"
site_id = "tiny-stadium"
zone_id = "tiny-stand"
position = [2.34655, 48.81872]
heading_deg = 45.0
width = 320
fps = 5.0
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("cameras")
    with beffroi_server(data_dir, CONFIG, TENANT, {"chef": "supervisor"}) as running:
        yield running


def log_in(page: Page, server: RunningServer) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#login-tenant")).to_have_value(TENANT)
    page.fill("#login-username", "chef")
    page.fill("#login-password", server.passwords["chef"])
    page.click("#login-submit")
    expect(page.locator("#user-role")).to_be_visible(timeout=10_000)


HIDE_TAB = """() => {
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW_TAB = """() => {
    Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def wait_for_picture(page: Page, selector: str, timeout_ms: float) -> None:
    """Until the image has loaded a picture."""
    page.wait_for_function(f"() => (document.querySelector('{selector}')?.naturalWidth ?? 0) > 0", timeout=timeout_ms)


def frame_requests(page: Page) -> list[str]:
    """The live-view requests the page makes from now on."""
    urls: list[str] = []

    def seen(request: Request) -> None:
        if f"/api/cameras/{CAMERA}/frame" in request.url:
            urls.append(request.url)

    page.on("request", seen)
    return urls


def test_the_camera_is_on_the_map_and_its_card_shows_the_live_view_its_age_and_its_analytics(
    server: RunningServer, page: Page
) -> None:
    requests = frame_requests(page)
    log_in(page, server)
    marker = page.locator(f'.camera-marker[data-camera-id="{CAMERA}"]')
    expect(marker).to_have_count(1, timeout=10_000)
    expect(marker).to_have_attribute("data-state", "online", timeout=30_000)
    screenshot(page, "tiny-camera-marker")
    marker.click()

    card = page.locator("#details[data-kind=camera]")
    expect(card).to_be_visible()
    expect(card.locator(".details-title")).to_have_text(CAMERA)
    image = page.locator("#camera-live-image")
    wait_for_picture(page, "#camera-live-image", 15_000)
    assert image.evaluate("img => img.src").startswith("blob:")
    # The analysed size (320 × 180), read in one go: the next frame's blob may be loading between two reads.
    page.wait_for_function(
        "() => { const img = document.querySelector('#camera-live-image');"
        " return img !== null && img.complete && img.naturalWidth === 320 && img.naturalHeight === 180; }",
        timeout=15_000,
    )
    # The loop asks for each next frame after the last shown: the frames follow one another (2 a second here).
    first = int(image.get_attribute("data-frame-number") or 0)
    page.wait_for_function(
        f"() => Number(document.querySelector('#camera-live-image')?.dataset.frameNumber) >= {first + 2}",
        timeout=10_000,
    )
    assert any(f"after={first}" in url for url in requests), requests
    live = page.locator(".camera-live")
    expect(live).to_have_attribute("data-freshness", "live")
    expect(page.locator("[data-testid=camera-frame-age]")).to_have_text(re.compile(r"^il y a \d+ s$"))
    # The analytics it runs, with their legal basis in words.
    expect(card.locator('[data-analytic="forbidden_zone"][data-legal-basis="forbidden_zone"]')).to_contain_text(
        "Zone interdite"
    )
    expect(card.locator('[data-analytic="forbidden_zone"]')).to_contain_text("Décret 2023-828")
    expect(card.locator('[data-analytic="zone_count"][data-legal-basis="counting"]')).to_contain_text("Comptage")
    expect(card).to_contain_text("Repli OpenCV")
    # The field of view is drawn once zoomed in on the camera (the card's "show on map" flies there).
    card.locator("button", has_text="Voir sur la carte").click()
    page.wait_for_timeout(1500)
    path = screenshot(page, "tiny-camera-live")
    assert path.stat().st_size > 10_000

    # A hidden tab stops the live view; shown again, it goes on.
    page.evaluate(HIDE_TAB)
    page.wait_for_timeout(300)
    made = len(requests)
    page.wait_for_timeout(2000)
    assert len(requests) == made, requests[made:]
    page.evaluate(SHOW_TAB)
    shown = int(image.get_attribute("data-frame-number") or 0)
    page.wait_for_function(
        f"() => Number(document.querySelector('#camera-live-image')?.dataset.frameNumber) > {shown}", timeout=10_000
    )

    page.click("[data-lang=en]")
    expect(page.locator("[data-testid=camera-frame-age]")).to_have_text(re.compile(r"^\d+ s ago$"), timeout=3000)

    # Closing the card stops the live view: no request after the one aborted.
    card.locator(".details-tools button.icon").click()
    expect(page.locator("#details")).to_be_hidden()
    page.wait_for_timeout(300)
    made = len(requests)
    page.wait_for_timeout(2000)
    assert len(requests) == made, requests[made:]


def camera_alarm(server: RunningServer, token: str, alarm_id: str | None = None) -> dict[str, Any] | None:
    """An open alarm raised from the camera's analytics (or the one of `alarm_id`)."""
    response = httpx.get(f"{server.url}/api/alarms", headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    for alarm in response.json():
        if alarm_id is not None and alarm["id"] != alarm_id:
            continue
        if alarm["key"]["source"] == CAMERA and alarm["key"]["type"] in VIDEO_ALARMS:
            found: dict[str, Any] = alarm
            return found
    return None


def test_an_alarm_from_the_camera_shows_the_picture_of_its_event_and_opens_the_live_view(
    server: RunningServer, page: Page
) -> None:
    login = httpx.post(
        f"{server.url}/api/auth/login",
        json={"tenant": TENANT, "username": "chef", "password": server.passwords["chef"]},
    )
    token = login.json()["access_token"]
    deadline = time.monotonic() + 150.0  # the scene's first events come about a minute after the camera starts
    alarm = camera_alarm(server, token)
    while alarm is None:
        assert time.monotonic() < deadline, f"the simulated camera raised no alarm:\n{server.log()}"
        time.sleep(1.0)
        alarm = camera_alarm(server, token)

    log_in(page, server)
    row = page.locator(f'[data-alarm-id="{alarm["id"]}"]')
    expect(row).to_have_count(1, timeout=10_000)
    row.click()
    snapshot = page.locator("[data-testid=alarm-snapshot]")
    expect(snapshot).to_be_visible(timeout=10_000)
    wait_for_picture(page, "#alarm-snapshot-image", 10_000)
    event_id = page.locator("#alarm-snapshot-image").get_attribute("data-event-id")
    assert event_id and event_id.startswith(CAMERA), event_id
    # The picture is the event that triggered the alarm: of this camera and type, at the alarm's last trigger.
    events = httpx.get(
        f"{server.url}/api/events",
        params={"type": alarm["key"]["type"], "limit": 500},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    [shown] = [event for event in events if event["event_id"] == event_id]
    now = camera_alarm(server, token, alarm["id"]) or alarm  # it may have triggered again meanwhile
    triggers = {alarm["last_triggered_at"], now["last_triggered_at"]}
    assert shown["source"] == CAMERA and shown["ts"] in triggers, (shown, alarm, now)
    screenshot(page, "tiny-camera-alarm")

    page.click(f'[data-testid=alarm-snapshot] button[data-open-camera="{CAMERA}"]')
    expect(page.locator("#details[data-kind=camera]")).to_be_visible()
    wait_for_picture(page, "#camera-live-image", 15_000)


def incident_of(server: RunningServer, token: str, alarm_id: str) -> str | None:
    """The open incident the alarm joined, if any."""
    headers = {"Authorization": f"Bearer {token}"}
    page = httpx.get(f"{server.url}/api/incidents", params={"limit": 200}, headers=headers).json()
    for incident in page["items"]:
        detail = httpx.get(f"{server.url}/api/incidents/{incident['id']}", headers=headers).json()
        if any(entry["alarm"]["id"] == alarm_id for entry in detail["alarms"]):
            found: str = incident["id"]
            return found
    return None


def test_an_incident_from_a_camera_alarm_shows_its_picture_in_the_drawer(server: RunningServer, page: Page) -> None:
    login = httpx.post(
        f"{server.url}/api/auth/login",
        json={"tenant": TENANT, "username": "chef", "password": server.passwords["chef"]},
    )
    token = login.json()["access_token"]
    deadline = time.monotonic() + 150.0
    incident_id = None
    while incident_id is None:
        assert time.monotonic() < deadline, f"no incident from a camera alarm:\n{server.log()}"
        alarm = camera_alarm(server, token)
        incident_id = None if alarm is None else incident_of(server, token, alarm["id"])
        if incident_id is None:
            time.sleep(1.0)

    log_in(page, server)
    page.click("[data-tab=incidents]")
    row = page.locator(f'[data-incident-id="{incident_id}"]').first
    expect(row).to_be_visible(timeout=20_000)
    row.click()
    pictures = page.locator("#incident-detail [data-testid=incident-pictures]")
    expect(pictures).to_be_visible(timeout=10_000)
    wait_for_picture(page, "#incident-detail [data-testid=incident-pictures] img", 15_000)
    event_id = pictures.locator("img").first.get_attribute("data-event-id")
    assert event_id and event_id.startswith(CAMERA), event_id
    assert page.locator("#alarm-snapshot-image").count() <= 1  # the drawer's pictures carry no duplicate id
    screenshot(page, "tiny-incident-pictures")
    pictures.locator(f'button[data-open-camera="{CAMERA}"]').first.click()
    expect(page.locator("#details[data-kind=camera]")).to_be_visible()
