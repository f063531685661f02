"""The webhook worker: incident changes from the bus delivered to the configured HTTP endpoints, signed, retried with
back-off, in order per endpoint; what cannot be delivered goes to the dead letters (the store's table or a file).

It consumes `beffroi.incidents.>` through the durable consumer `webhooks` and turns each IncidentChange into a
WebhookMessage of kind `incident.<change>` (`incident.opened`, `incident.transitioned`…) whose id is the change's bus
message id (the receivers' idempotency key). When an endpoint of the tenant wants CAP (`body = "cap"` or
`include_cap`), the incident's current state is recorded as the next message of its CAP series, but only when it
tells something new since the last one (type, title, priority, state, disposition, place, alarms): the message then
carries that CAP alert; otherwise it carries none, and CAP-only endpoints are not sent it.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections.abc import Sequence
from typing import Any

import httpx
import msgspec

from beffroi.api.errors import Conflict
from beffroi.api.incident_cap import CapExportFailed, IncidentCapExporter
from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Subscription
from beffroi.config import BeffroiConfig
from beffroi.domain import messages
from beffroi.domain.messages import IncidentChange
from beffroi.errors import BeffroiError, ConfigError, StoreError
from beffroi.exports.webhooks.dead_letters import DeadLetterSink, JsonLinesDeadLetters, StoreDeadLetters
from beffroi.exports.webhooks.deliverer import WebhookDeliverer, check_endpoints
from beffroi.exports.webhooks.model import WebhookEndpoint, WebhookMessage
from beffroi.exports.webhooks.retry import RetryPolicy
from beffroi.store.store import Store
from beffroi.workers.base import Health

log = logging.getLogger("beffroi.workers.webhooks")

WEBHOOKS_CONSUMER = "webhooks"
KIND_PREFIX = "incident."
CAP_ACTOR = "webhooks"
"""The actor of the CAP messages this worker records (in the audit log)."""
STOP_GRACE_S = 5.0
"""How long stopping waits for the queues to drain before what is left becomes dead letters (`shutdown`)."""


def webhook_endpoints_from(config: BeffroiConfig, *, require_secrets: bool = True) -> list[WebhookEndpoint]:
    """The endpoints of the config's `[[webhooks.endpoints]]`, their secrets read; ConfigError naming each endpoint
    whose secret is configured but not set (unless `require_secrets` is False) or that the deliverer refuses."""
    endpoints: list[WebhookEndpoint] = []
    problems: list[str] = []
    for index, section in enumerate(config.webhooks.endpoints):
        secret = None
        if section.secret is not None:
            secret = section.secret.read()
            if secret is None and require_secrets:
                source = f"environment variable {section.secret.env}" if section.secret.env else "secret file"
                where = section.secret.env or section.secret.file
                problems.append(f"webhooks.endpoints[{index}].secret: the {source} ({where}) is not set or missing")
        endpoints.append(
            WebhookEndpoint(
                name=section.name,
                url=section.url,
                tenant_id=section.tenant or config.tenant,
                secret=secret,
                events=list(section.events),
                timeout_s=section.timeout_s,
                body=section.body,
                include_cap=section.include_cap,
            )
        )
    if problems:
        raise ConfigError("webhooks", problems)
    check_endpoints(endpoints)
    return endpoints


def retry_policy_from(config: BeffroiConfig) -> RetryPolicy:
    """The back-off of the config's `[webhooks]`."""
    section = config.webhooks
    return RetryPolicy(
        max_attempts=section.max_attempts, base_delay_s=section.base_delay_s, max_delay_s=section.max_delay_s
    )


def dead_letters_from(config: BeffroiConfig, store: Store) -> DeadLetterSink:
    """The store's dead-letter table, or `<data_dir>/webhooks/dead-letters.jsonl`."""
    if config.webhooks.dead_letters == "file":
        return JsonLinesDeadLetters(config.data_dir / "webhooks" / "dead-letters.jsonl")
    return StoreDeadLetters(store.insert_dead_letters)


def change_data(change: IncidentChange) -> dict[str, Any]:
    """The JSON `data` of an incident change's webhook: what changed, who did it, the incident as it is now, the
    timeline entries the change added, and the ids of the alarms that joined or changed."""
    return {
        "change": change.change.value,
        "actor": change.actor,
        "incident": msgspec.to_builtins(change.incident),
        "timeline": msgspec.to_builtins(change.timeline),
        "alarm_ids": [item.alarm.id for item in change.alarms],
    }


def _message_id(change: IncidentChange, bus_id: str | None) -> str:
    incident = change.incident
    return bus_id or f"incident-{incident.tenant_id}-{incident.id}-{change.change.value}-{incident.updated_at:.6f}"


class WebhookWorker:
    """Consumes incident changes and hands them to a WebhookDeliverer (started and stopped with this worker)."""

    name = "webhooks"

    def __init__(
        self,
        bus: Bus,
        endpoints: Sequence[WebhookEndpoint],
        dead_letters: DeadLetterSink,
        *,
        cap_exporter: IncidentCapExporter | None = None,
        policy: RetryPolicy | None = None,
        queue_size: int = 10_000,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._bus = bus
        self._endpoints = list(endpoints)
        self._cap = cap_exporter
        self.deliverer = WebhookDeliverer(
            self._endpoints, dead_letters, policy=policy, client=client, queue_size=queue_size
        )
        self._subscription: Subscription | None = None
        self.changes_seen = 0
        self.messages_submitted = 0
        self.cap_messages = 0
        self.cap_failures = 0

    async def start(self) -> None:
        """Start delivering, then consume the incident changes."""
        await self.deliverer.start()
        options = ConsumerOptions(batch=256, max_deliver=10)
        try:
            self._subscription = await self._bus.subscribe(
                messages.ALL_INCIDENTS, WEBHOOKS_CONSUMER, self._on_change, options
            )
        except BaseException:
            await self.deliverer.stop(grace_s=0)
            raise
        log.info("webhooks: %d endpoint(s)", len(self._endpoints))

    async def stop(self) -> None:
        """Stop consuming, let the queues drain a little, then stop; what is left becomes dead letters."""
        if self._subscription is not None:
            await self._subscription.stop()
            self._subscription = None
        await self.deliverer.stop(grace_s=STOP_GRACE_S)

    async def _on_change(self, message: BusMessage) -> None:
        change = messages.decode(message.data, IncidentChange)
        self.changes_seen += 1
        incident = change.incident
        kind = f"{KIND_PREFIX}{change.change.value}"
        wanting = [e for e in self._endpoints if e.tenant_id == incident.tenant_id and _matches(e, kind)]
        if not wanting:
            return
        cap_xml = None
        if any(e.body == "cap" or e.include_cap for e in wanting):
            cap_xml = await self._cap_of(incident.tenant_id, incident.id)
        webhook = WebhookMessage(
            id=_message_id(change, message.msg_id),
            tenant_id=incident.tenant_id,
            kind=kind,
            occurred_at=incident.updated_at,
            data=change_data(change),
            cap_xml=cap_xml,
        )
        if await self.deliverer.submit(webhook):
            self.messages_submitted += 1

    async def _cap_of(self, tenant_id: str, incident_id: str) -> str | None:
        """The incident's next CAP message when it tells something new (recorded as sent), else None."""
        if self._cap is None:
            return None
        for _ in range(3):  # another process may record the same revision first: take the next one
            try:
                export = await asyncio.to_thread(
                    self._cap.send, tenant_id, incident_id, actor=CAP_ACTOR, only_if_changed=True
                )
            except Conflict:
                continue
            except CapExportFailed as failure:
                self.cap_failures += 1
                log.error("webhooks: no CAP for incident %s: %s", incident_id, failure)
                return None
            except StoreError:
                raise  # the bus delivers the change again once the store answers
            except BeffroiError as error:  # e.g. the incident is not stored: deliver without CAP
                self.cap_failures += 1
                log.warning("webhooks: no CAP for incident %s: %s", incident_id, error)
                return None
            if export is None:
                return None
            self.cap_messages += 1
            return export.xml.decode("utf-8")
        self.cap_failures += 1
        log.warning("webhooks: no CAP for incident %s: its revisions kept being taken", incident_id)
        return None

    def health(self) -> Health:
        """Changes seen, messages queued, CAP messages recorded, and delivery counters over every endpoint."""
        stats = self.deliverer.stats().values()
        return {
            "endpoints": len(self._endpoints),
            "changes_seen": self.changes_seen,
            "messages_submitted": self.messages_submitted,
            "cap_messages": self.cap_messages,
            "cap_failures": self.cap_failures,
            "delivered": sum(s.delivered for s in stats),
            "retries": sum(s.retries for s in stats),
            "dead_letters": sum(s.dead_letters for s in stats),
            "pending": sum(s.pending for s in stats),
        }


def webhook_worker_from(config: BeffroiConfig, bus: Bus, store: Store) -> WebhookWorker:
    """The worker of the config's `[webhooks]`, its CAP messages made with `[cap]`; ConfigError for bad endpoints."""
    section = config.webhooks
    return WebhookWorker(
        bus,
        webhook_endpoints_from(config),
        dead_letters_from(config, store),
        cap_exporter=IncidentCapExporter(store, config.cap.export_settings()),
        policy=retry_policy_from(config),
        queue_size=section.queue_size,
    )


def _matches(endpoint: WebhookEndpoint, kind: str) -> bool:
    return any(fnmatch.fnmatchcase(kind, pattern) for pattern in endpoint.events)
