"""Imports every shipped backend so each registers itself."""

import beffroi.bus.inprocess
import beffroi.bus.nats_jetstream  # noqa: F401
