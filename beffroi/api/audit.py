"""Audit entries for what callers do through the API (logins, imports)."""

from __future__ import annotations

import uuid

from beffroi.api.context import ApiContext
from beffroi.domain.observations import AttributeValue
from beffroi.domain.records import AuditEntry


def audit_entry(
    context: ApiContext,
    *,
    tenant_id: str,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, AttributeValue] | None = None,
) -> AuditEntry:
    """A new entry stamped with the API's clock."""
    return AuditEntry(
        id=uuid.uuid4().hex,
        ts=context.clock(),
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=dict(details or {}),
    )
