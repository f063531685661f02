"""Dead letters kept in a JSON-lines file, or as rows of the store's dead-letter table."""

from __future__ import annotations

from pathlib import Path

import msgspec

from beffroi.exports.webhooks.dead_letters import JsonLinesDeadLetters, StoreDeadLetters
from beffroi.exports.webhooks.model import WebhookDeadLetter
from beffroi.store.store import Store

RECORD = WebhookDeadLetter(
    id="dl-1",
    failed_at=1_722_015_000.0,
    endpoint="sdis",
    url_origin="https://hooks.sdis93.example",
    tenant_id="city-a",
    message_id="msg-1",
    kind="incident.opened",
    reason="retries_exhausted",
    attempts=6,
    last_error="HTTP 503: try later",
    content_type="application/json",
    body='{"id":"msg-1"}',
)


async def test_json_lines_append_and_read_back(tmp_path: Path) -> None:
    log = JsonLinesDeadLetters(tmp_path / "webhooks" / "dead-letters.jsonl")
    assert log.read() == []
    second = msgspec.structs.replace(RECORD, id="dl-2", message_id="msg-2")
    await log.record(RECORD)
    await log.record(second)
    assert log.read() == [RECORD, second]
    assert len(log.path.read_text().splitlines()) == 2


async def test_store_rows_keep_the_whole_record(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'beffroi.db'}") as store:
        store.migrate()
        await StoreDeadLetters(store.insert_dead_letters).record(RECORD)
        [row] = store.query_dead_letters("city-a")
    assert (row.id, row.ts, row.source, row.reason, row.tenant_id) == (
        "dl-1",
        1_722_015_000.0,
        "webhook:sdis",
        "webhook_retries_exhausted",
        "city-a",
    )
    assert row.detail == "incident.opened msg-1: 6 attempt(s); HTTP 503: try later"
    assert msgspec.json.decode(row.raw, type=WebhookDeadLetter) == RECORD
