"""Who is calling: the authenticated user, their tenant and their role."""

from __future__ import annotations

from dataclasses import dataclass

from beffroi.api.auth.roles import Role


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. `issuer` is `beffroi` for local accounts, else the OIDC issuer."""

    subject: str
    tenant_id: str
    role: Role
    issuer: str
