"""What webhooks deliver, where to, and what is kept when delivery fails."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec


class WebhookEndpoint(msgspec.Struct, frozen=True):
    """One receiver of a tenant's messages.

    `events` are shell-style patterns of message kinds (`incident.*`, `cap.alert`); `secret` signs each request
    (X-Beffroi-Signature), None sends unsigned; `body` is `json` (the message, with its CAP XML in `cap` when
    `include_cap`) or `cap` (the CAP XML itself, as application/cap+xml: messages without CAP are not sent there).
    """

    name: str
    url: str
    tenant_id: str
    secret: str | None = None
    events: list[str] = msgspec.field(default_factory=lambda: ["*"])
    timeout_s: float = 10.0
    body: Literal["json", "cap"] = "json"
    include_cap: bool = False

    def __repr__(self) -> str:
        """Never shows the secret nor the URL's path and query (webhook URLs often hold tokens)."""
        return f"WebhookEndpoint(name={self.name!r}, origin={url_origin(self.url)!r}, tenant_id={self.tenant_id!r})"

    __str__ = __repr__


class WebhookMessage(msgspec.Struct, frozen=True):
    """One thing to tell the endpoints: `id` is unique (the receivers' idempotency key), `kind` such as
    `incident.opened`, `data` any JSON object, `cap_xml` the CAP alert that goes with it, if any."""

    id: str
    tenant_id: str
    kind: str
    occurred_at: float
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    cap_xml: str | None = None


class WebhookDeadLetter(msgspec.Struct, frozen=True):
    """A message an endpoint did not get: the exact body that was (or would have been) sent, and why not.

    `reason`: `retries_exhausted`, `refused` (a status that retrying cannot fix, e.g. 400, 401, 404), `queue_full`,
    `shutdown` (still pending when the deliverer stopped) or `internal_error`. `url_origin` is scheme, host and
    port only.
    """

    id: str
    failed_at: float
    endpoint: str
    url_origin: str
    tenant_id: str
    message_id: str
    kind: str
    reason: str
    attempts: int
    last_error: str
    content_type: str
    body: str


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of `url`: what may be shown and logged of an endpoint's address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}"
