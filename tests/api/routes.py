"""Every operator API route, with the least role it needs and a request that is valid for tenant city-a."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from beffroi.api.auth.roles import Role
from tests.api.world import CAMERA, DEVICE, SITE, SNAPSHOT_EVENT, TENANT_A, ZONE
from tests.exports.cap.samples import fr_alert

GEOJSON: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "square-stage", "site_id": SITE, "name": "Stage", "kind": "stand", "capacity": 50},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[4.8313, 45.7576], [4.8315, 45.7576], [4.8315, 45.7577], [4.8313, 45.7577], [4.8313, 45.7576]]
                ],
            },
        }
    ],
}
CSV = f"id,site_id,zone_id,kind,lon,lat\nsquare-new-pc,{SITE},{ZONE},people_counter,4.832,45.7578\n"


@dataclass(frozen=True)
class Route:
    """One route: its method, its path template, a concrete path, the least role, and a valid request."""

    method: str
    template: str
    path: str
    role: Role
    json: Any = None
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ROUTES = [
    Route("GET", "/api/auth/me", "/api/auth/me", Role.VIEWER),
    Route("GET", "/api/tenants", "/api/tenants", Role.ADMIN),
    Route("GET", "/api/tenants/{tenant_id}", f"/api/tenants/{TENANT_A}", Role.ADMIN),
    Route("GET", "/api/sites", "/api/sites", Role.VIEWER),
    Route("GET", "/api/sites/{site_id}", f"/api/sites/{SITE}", Role.VIEWER),
    Route("GET", "/api/zones", "/api/zones", Role.VIEWER),
    Route("GET", "/api/zones/{zone_id}", f"/api/zones/{ZONE}", Role.VIEWER),
    Route("GET", "/api/zones/{zone_id}/crowd", f"/api/zones/{ZONE}/crowd", Role.VIEWER),
    Route("GET", "/api/zones/{zone_id}/mobile", f"/api/zones/{ZONE}/mobile", Role.VIEWER),
    Route("POST", "/api/zones/import", "/api/zones/import", Role.ADMIN, json=GEOJSON),
    Route("GET", "/api/cameras", "/api/cameras", Role.VIEWER),
    Route("GET", "/api/cameras/{camera_id}/frame", f"/api/cameras/{CAMERA}/frame", Role.VIEWER),
    Route(
        "GET", "/api/cameras/{camera_id}/live.mjpeg", f"/api/cameras/{CAMERA}/live.mjpeg?duration_s=0.1", Role.VIEWER
    ),
    Route(
        "GET",
        "/api/cameras/{camera_id}/snapshots/{event_id}",
        f"/api/cameras/{CAMERA}/snapshots/{SNAPSHOT_EVENT}",
        Role.VIEWER,
    ),
    Route("GET", "/api/devices", "/api/devices", Role.VIEWER),
    Route("GET", "/api/devices/{device_id}", f"/api/devices/{DEVICE}", Role.VIEWER),
    Route(
        "POST",
        "/api/devices/import",
        "/api/devices/import",
        Role.ADMIN,
        content=CSV,
        headers={"Content-Type": "text/csv"},
    ),
    Route("GET", "/api/readings", f"/api/readings?device_id={DEVICE}", Role.VIEWER),
    Route("GET", "/api/readings/rollup", f"/api/readings/rollup?device_id={DEVICE}&metric=occupancy", Role.VIEWER),
    Route("GET", "/api/events", "/api/events", Role.VIEWER),
    Route("GET", "/api/alarms", "/api/alarms", Role.VIEWER),
    Route("GET", "/api/alarms/{alarm_id}", "/api/alarms/a-critical", Role.VIEWER),
    Route("POST", "/api/alarms/{alarm_id}/acknowledge", "/api/alarms/a-critical/acknowledge", Role.OPERATOR),
    Route(
        "POST",
        "/api/alarms/{alarm_id}/shelve",
        "/api/alarms/a-low-old/shelve",
        Role.OPERATOR,
        json={"reason": "maintenance", "duration_s": 600},
    ),
    Route("POST", "/api/alarms/{alarm_id}/clear", "/api/alarms/a-low-new/clear", Role.OPERATOR),
    Route("GET", "/api/audit", "/api/audit", Role.SUPERVISOR),
    Route("GET", "/api/dead-letters", "/api/dead-letters", Role.ADMIN),
    Route(
        "POST",
        "/api/cap/import",
        "/api/cap/import",
        Role.SUPERVISOR,
        content=fr_alert().decode(),
        headers={"Content-Type": "application/cap+xml"},
    ),
    Route("GET", "/api/users", "/api/users", Role.ADMIN),
    Route("GET", "/api/users/{username}", "/api/users/operator", Role.ADMIN),
    Route(
        "POST",
        "/api/users",
        "/api/users",
        Role.ADMIN,
        json={"username": "newbie", "password": "a brand new passphrase", "role": "viewer"},
    ),
    Route("PATCH", "/api/users/{username}", "/api/users/operator", Role.ADMIN, json={"role": "supervisor"}),
    Route(
        "PUT",
        "/api/users/{username}/password",
        "/api/users/operator/password",
        Role.ADMIN,
        json={"password": "a brand new passphrase"},
    ),
]
"""Every authenticated route (POST /api/auth/login is the one route without a token)."""

INCIDENT = "/api/incidents/inc-a-open"
INCIDENT_ROUTES = [
    Route("GET", "/api/incidents", "/api/incidents", Role.VIEWER),
    Route("GET", "/api/incidents/{incident_id}", INCIDENT, Role.VIEWER),
    Route(
        "POST",
        "/api/incidents/{incident_id}/transition",
        f"{INCIDENT}/transition",
        Role.OPERATOR,
        json={"to": "in_progress", "reason": "on it"},
    ),
    Route(
        "POST",
        "/api/incidents/{incident_id}/assign",
        f"{INCIDENT}/assign",
        Role.OPERATOR,
        json={"assignee": "operator", "desk": "north"},
    ),
    Route(
        "POST",
        "/api/incidents/{incident_id}/disposition",
        f"{INCIDENT}/disposition",
        Role.OPERATOR,
        json={"disposition": "true"},
    ),
    Route(
        "POST",
        "/api/incidents/{incident_id}/notes",
        f"{INCIDENT}/notes",
        Role.OPERATOR,
        json={"text": "seen on the plaza camera", "links": ["https://video.example/clip/1"]},
    ),
    Route(
        "POST",
        "/api/incidents/{incident_id}/procedure/steps/{step_id}/complete",
        f"{INCIDENT}/procedure/steps/assess/complete",
        Role.OPERATOR,
        json={"choice": "real"},
    ),
    Route(
        "POST",
        "/api/incidents/{incident_id}/procedure/steps/{step_id}/skip",
        f"{INCIDENT}/procedure/steps/assess/skip",
        Role.OPERATOR,
        json={"justification": "the stewards are already there"},
    ),
    Route("GET", "/api/incidents/{incident_id}/cap", f"{INCIDENT}/cap", Role.VIEWER),
    Route("POST", "/api/incidents/{incident_id}/cap", f"{INCIDENT}/cap", Role.SUPERVISOR),
    Route("GET", "/api/supervision/false-alarm-rates", "/api/supervision/false-alarm-rates", Role.SUPERVISOR),
    Route("GET", "/api/supervision/notifications", "/api/supervision/notifications", Role.SUPERVISOR),
    Route("GET", "/api/supervision/alarm-rates", "/api/supervision/alarm-rates", Role.SUPERVISOR),
]
"""The incident and supervision routes (`tests/api/incident_world.py` holds the incidents they name). They join
ROUTES once the operator API mounts their routers and the test world holds those incidents."""
ROUTES += INCIDENT_ROUTES
