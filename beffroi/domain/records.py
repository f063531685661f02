"""Records kept for accountability: dead letters (rejected input) and the audit log."""

from __future__ import annotations

import msgspec

from beffroi.domain.observations import AttributeValue


class DeadLetter(msgspec.Struct, frozen=True):
    """Input that was rejected, kept with its raw bytes and the reason so nothing is lost."""

    id: str
    ts: float
    source: str
    reason: str
    detail: str
    raw: bytes
    tenant_id: str | None = None


class AuditEntry(msgspec.Struct, frozen=True):
    """Who did what to which thing, and when."""

    id: str
    ts: float
    tenant_id: str
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, AttributeValue] = msgspec.field(default_factory=dict)
