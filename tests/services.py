"""Which real services the tests can reach, and how a test that needs one skips (or fails on CI)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Service:
    """A server a test may need."""

    name: str
    host: str
    port: int
    start_hint: str


SERVICES = {
    "postgres": Service(
        "PostgreSQL", "127.0.0.1", 5432, "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
    ),
    "mqtt": Service("Mosquitto (MQTT)", "127.0.0.1", 1883, "mosquitto -d -c /etc/mosquitto/mosquitto.conf"),
    "nats": Service("NATS JetStream", "127.0.0.1", 4222, "nats-server -js (see .ci/run)"),
}

POSTGRES_ADMIN_URL = os.environ.get(
    "BEFFROI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MQTT_HOST, MQTT_PORT = SERVICES["mqtt"].host, SERVICES["mqtt"].port
NATS_URL = os.environ.get("BEFFROI_TEST_NATS_URL", "nats://127.0.0.1:4222")


def is_up(key: str, timeout: float = 0.5) -> bool:
    """True when the service's TCP port accepts a connection."""
    service = SERVICES[key]
    try:
        with socket.create_connection((service.host, service.port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(key: str) -> None:
    """Skip the calling test when the service is down; fail instead when BEFFROI_REQUIRE_SERVICES=1 (CI)."""
    if is_up(key):
        return
    service = SERVICES[key]
    message = f"{service.name} is not answering on {service.host}:{service.port} (start it: {service.start_hint})"
    if os.environ.get("BEFFROI_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)
