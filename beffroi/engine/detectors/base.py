"""The one interface every detector implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from beffroi.domain.alarms import Alarm
from beffroi.domain.observations import Event, Reading
from beffroi.domain.registry import Device, Zone
from beffroi.engine.conditions import Condition

NO_CONDITIONS: tuple[Condition, ...] = ()
"""What a detector returns when nothing changed (shared, so the hot path allocates nothing)."""


class Detector(ABC):
    """Turns readings, events and the passing of time into alarm conditions.

    A detector keeps its own state, is deterministic for the same input, never raises on input it does not
    understand (unknown metric, unknown device, odd values), and reports a condition only when it changes:
    the alarm manager de-duplicates anyway, but the hot path should stay quiet. Every method returns a
    sequence, usually the empty `NO_CONDITIONS`.
    """

    name: str
    """Unique among the detectors of one engine; recorded on every condition it reports."""

    @abstractmethod
    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """One reading of a known device."""

    def reading_metrics(self) -> frozenset[str] | None:
        """The metrics whose readings this detector uses, fixed at construction; None (the default): any metric.

        The engine does not call `on_reading` for readings of other metrics, so a detector that declares them
        must report nothing for those (the contract test checks it)."""
        return None

    def on_event(self, event: Event, device: Device | None) -> Sequence[Condition]:
        """One event; `device` is the registry entry of its source, or None when the source is not a device."""
        return NO_CONDITIONS

    def on_tick(self, now: float) -> Sequence[Condition]:
        """Time has reached `now` (epoch seconds): report what time alone decides (silence, expiry)."""
        return NO_CONDITIONS

    def on_devices(self, devices: Mapping[str, Device]) -> None:
        """The registry's devices, by id: given at start and again whenever the registry changes."""
        return None

    def on_zones(self, zones: Sequence[Zone]) -> None:
        """The registry's zones (of every tenant): given at start and again whenever they change."""
        return None

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Alarms still open from before a restart, so the detector can return to normal those it drives."""
        return None
