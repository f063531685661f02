"""POST /ingest/{tenant_id}: token, size limit, one object, arrays and NDJSON with per-item outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from beffroi.ingest.gateway import Gateway
from beffroi.ingest.http import build_ingest_router
from tests.ingest.conftest import TENANT, GatewayFactory, RecordingSink, message

TOKEN = "s3cret-ingest-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def app_for(gateway: Gateway, token: str | None = TOKEN, max_body_bytes: int = 4096) -> FastAPI:
    app = FastAPI()
    app.include_router(build_ingest_router(lambda: gateway, lambda: token, max_body_bytes=max_body_bytes))
    return app


@pytest.fixture
async def client(make_gateway: GatewayFactory) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_for(make_gateway()))
    async with httpx.AsyncClient(transport=transport, base_url="http://beffroi") as http:
        yield http


async def post(http: httpx.AsyncClient, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return await http.post(f"/ingest/{TENANT}", content=body, headers={**AUTH, **(headers or {})})


@pytest.mark.parametrize("token", [None, ""])
async def test_without_a_configured_token_the_endpoint_is_closed(
    make_gateway: GatewayFactory, token: str | None
) -> None:
    transport = httpx.ASGITransport(app=app_for(make_gateway(), token=token))
    async with httpx.AsyncClient(transport=transport, base_url="http://beffroi") as http:
        response = await post(http, message())
    assert response.status_code == 503
    assert response.json()["reason"] == "ingest_token_not_configured"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer", f"bearer{TOKEN}"],
)
async def test_a_missing_or_wrong_token_is_unauthorized(
    client: httpx.AsyncClient, sink: RecordingSink, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.post(f"/ingest/{TENANT}", content=message(), headers=headers)
    assert response.status_code == 401
    assert response.json()["reason"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    assert sink.batches == []
    assert sink.dead_letters == []


async def test_the_scheme_is_case_insensitive(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/ingest/{TENANT}", content=message(), headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 202


async def test_one_object_is_accepted(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    response = await post(client, message(), {"Content-Type": "application/json"})
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicates": 0, "readings": 2, "events": 0, "rejected": []}
    assert len(sink.readings) == 2


async def test_one_refused_object_is_listed_with_index_zero(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    response = await post(client, message("ghost"))
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 0
    assert body["rejected"] == [
        {"index": 0, "reason": "unknown_device", "detail": "device 'ghost' is not registered for tenant 'paris2024'"}
    ]
    assert sink.dead_letters[0].raw == message("ghost")


async def test_an_array_with_good_and_bad_items_accepts_the_good_ones(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    items = [
        message(msg_id="a"),
        b'{"streamId": "pc-01", "timestamp": 1721999999000, "value": {"t": "hot"}}',
        message("pc-02", msg_id="b"),
        b"42",
        message(msg_id="a"),
    ]
    body = b"[" + b",\n ".join(items) + b"]"
    response = await post(client, body)
    assert response.status_code == 202
    result = response.json()
    assert (result["accepted"], result["duplicates"], result["readings"]) == (2, 1, 4)
    assert result["rejected"] == [
        {"index": 1, "reason": "wrong_type", "detail": "value.t: expected a number, got str"},
        {"index": 3, "reason": "wrong_type", "detail": "the message must be a JSON object, got number"},
    ]
    assert [letter.raw for letter in sink.dead_letters] == [items[1], items[3]], "each bad item keeps its own bytes"


async def test_an_oversized_item_is_refused_alone(make_gateway: GatewayFactory, sink: RecordingSink) -> None:
    transport = httpx.ASGITransport(app=app_for(make_gateway(max_payload_bytes=300), max_body_bytes=10_000))
    big = message(msg_id="big", model="x" * 400)
    async with httpx.AsyncClient(transport=transport, base_url="http://beffroi") as http:
        response = await post(http, b"[" + message(msg_id="small") + b"," + big + b"]")
    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    assert [(item["index"], item["reason"]) for item in response.json()["rejected"]] == [(1, "too_large")]


async def test_ndjson_items_are_indexed_by_line(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    lines = [message(msg_id="a"), b"", b"not json", message("pc-02", msg_id="b"), b"   "]
    response = await post(client, b"\n".join(lines) + b"\n", {"Content-Type": "application/x-ndjson; charset=utf-8"})
    assert response.status_code == 202
    result = response.json()
    assert result["accepted"] == 2
    assert [(item["index"], item["reason"]) for item in result["rejected"]] == [(2, "malformed")]
    assert sink.dead_letters[0].raw == b"not json"


async def test_a_body_that_is_not_json_is_400_and_dead_lettered(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    response = await post(client, b"temperature=21")
    assert response.status_code == 400
    assert response.json()["reason"] == "malformed"
    assert response.json()["detail"].startswith("not valid JSON")
    assert [(d.reason, d.raw, d.source) for d in sink.dead_letters] == [
        ("malformed", b"temperature=21", "http:paris2024")
    ]


async def test_a_broken_array_is_400_and_dead_lettered(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    body = b"[" + message() + b", {"
    response = await post(client, body)
    assert response.status_code == 400
    assert response.json()["reason"] == "malformed"
    assert [(d.reason, d.raw) for d in sink.dead_letters] == [("malformed", body)]
    assert sink.batches == []


@pytest.mark.parametrize(
    ("body", "headers"), [(b"[]", {}), (b"", {}), (b"\n\n", {"Content-Type": "application/x-ndjson"})]
)
async def test_a_body_without_any_message_is_400_empty(
    client: httpx.AsyncClient, sink: RecordingSink, body: bytes, headers: dict[str, str]
) -> None:
    response = await post(client, body, headers)
    assert response.status_code == 400
    assert response.json()["reason"] == "empty"
    assert len(sink.dead_letters) == 1


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    response = await post(client, b"[" + b" " * 5000 + b"]")
    assert response.status_code == 413
    assert response.json() == {"reason": "too_large", "detail": "body larger than 4096 bytes"}
    assert [d.reason for d in sink.dead_letters] == ["too_large"]


async def test_a_streamed_body_over_the_limit_is_cut_and_413(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    response = await client.post(f"/ingest/{TENANT}", content=chunks(), headers=AUTH)
    assert response.status_code == 413
    [letter] = sink.dead_letters
    assert letter.reason == "too_large"
    assert letter.raw == b"x" * 4096
    assert "(first 4096 bytes kept)" in letter.detail


async def test_when_the_bus_refuses_the_answer_is_503_and_a_retry_is_accepted(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    body = b"[" + message(msg_id="a") + b"," + message("pc-02", msg_id="b") + b"]"
    sink.failures = 1
    response = await post(client, body)
    assert response.status_code == 503
    assert response.json()["reason"] == "bus_unavailable"
    retry = await post(client, body)
    assert retry.status_code == 202
    assert retry.json()["accepted"] + retry.json()["duplicates"] == 2
    assert sorted(d for d, _, _ in sink.readings) == ["pc-01", "pc-01", "pc-02", "pc-02"]


def test_the_endpoint_is_documented_in_openapi(make_gateway: GatewayFactory) -> None:
    schema = app_for(make_gateway()).openapi()
    operation = schema["paths"]["/ingest/{tenant_id}"]["post"]
    assert {"202", "400", "401", "413", "503"} <= set(operation["responses"])
