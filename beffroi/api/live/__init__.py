"""The live stream's hub: per-tenant latest state of alarms, devices, zones and incidents with sequence numbers,
resumable by cursor, fanned out to the connected consoles (the WebSocket route is `beffroi.api.routers.live`)."""

from beffroi.api.live.hub import LiveHub, Session
from beffroi.api.live.settings import LiveSettings

__all__ = ["LiveHub", "LiveSettings", "Session"]
