"""Ground truth: what the simulator injected, where, when, and which alarms Beffroi should raise for it."""

from __future__ import annotations

from pathlib import Path

import msgspec


class GroundTruth(msgspec.Struct, frozen=True):
    """One injected incident. Times are emitted timestamps (epoch seconds), the window is [start_ts, end_ts)."""

    incident_id: str
    kind: str
    source: str
    """"injected" (asked for) or "random" (drawn at the configured rate)."""
    tenant_id: str
    site_id: str
    zone_id: str | None
    device_ids: list[str]
    start_ts: float
    end_ts: float
    expected_alarms: list[str]


class GroundTruthLog:
    """Keeps the records in memory and, when a path is given, appends each as one JSON line (flushed at once)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.records: list[GroundTruth] = []
        self._encode = msgspec.json.Encoder().encode
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, record: GroundTruth) -> None:
        """Record one incident."""
        self.records.append(record)
        if self.path is not None:
            with self.path.open("ab") as file:
                file.write(self._encode(record) + b"\n")


def read_ground_truth(path: Path) -> list[GroundTruth]:
    """The records of a ground-truth JSON-lines file."""
    decoder = msgspec.json.Decoder(GroundTruth)
    return [decoder.decode(line) for line in path.read_bytes().splitlines() if line.strip()]
