"""Where undeliverable webhook messages are kept: a JSON-lines file, or the store's dead-letter table."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import msgspec

from beffroi.domain.records import DeadLetter
from beffroi.exports.webhooks.model import WebhookDeadLetter


class DeadLetterSink(Protocol):
    """Keeps dead letters durably; `record` returns once the record is written."""

    async def record(self, dead_letter: WebhookDeadLetter) -> None:
        """Persist one record."""
        ...


class JsonLinesDeadLetters:
    """Appends one JSON object per line to `path` (e.g. `<data_dir>/webhooks/dead-letters.jsonl`), flushed to disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    async def record(self, dead_letter: WebhookDeadLetter) -> None:
        """Append the record."""
        await asyncio.to_thread(self._append, msgspec.json.encode(dead_letter) + b"\n")

    def read(self) -> list[WebhookDeadLetter]:
        """Every record, oldest first (an empty list when the file does not exist yet)."""
        if not self.path.exists():
            return []
        decoder = msgspec.json.Decoder(WebhookDeadLetter)
        with self.path.open("rb") as file:
            return [decoder.decode(line) for line in file if line.strip()]

    def _append(self, line: bytes) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as file:
                file.write(line)
                file.flush()


class StoreDeadLetters:
    """Writes each record as a row of the store's dead-letter table (shown by GET /api/dead-letters): source
    `webhook:<endpoint>`, reason `webhook_<reason>`, the whole record as JSON in `raw`.

    `insert` is the store's `insert_dead_letters` (blocking: it runs in a thread).
    """

    def __init__(self, insert: Callable[[Sequence[DeadLetter]], int]) -> None:
        self._insert = insert

    async def record(self, dead_letter: WebhookDeadLetter) -> None:
        """Insert the row."""
        await asyncio.to_thread(self._insert, [as_store_dead_letter(dead_letter)])


def as_store_dead_letter(dead_letter: WebhookDeadLetter) -> DeadLetter:
    """The dead-letter row of a webhook record."""
    return DeadLetter(
        id=dead_letter.id,
        ts=dead_letter.failed_at,
        source=f"webhook:{dead_letter.endpoint}",
        reason=f"webhook_{dead_letter.reason}",
        detail=(
            f"{dead_letter.kind} {dead_letter.message_id}: {dead_letter.attempts} attempt(s); {dead_letter.last_error}"
        ),
        raw=msgspec.json.encode(dead_letter),
        tenant_id=dead_letter.tenant_id,
    )
