"""GET /api/tenants: an administrator sees their own tenant, and only it."""

from __future__ import annotations

from fastapi import APIRouter

from beffroi.api.auth.dependencies import Admin, Context
from beffroi.api.responses import MsgspecJSON
from beffroi.api.schemas import ErrorOut, TenantOut
from beffroi.domain.registry import Tenant
from beffroi.errors import NotFound

router = APIRouter(prefix="/api/tenants", tags=["tenants"], responses={404: {"model": ErrorOut}})


def _own_tenant(context: Context, tenant_id: str) -> Tenant:
    for tenant in context.store.list_tenants():
        if tenant.id == tenant_id:
            return tenant
    raise NotFound(f"tenant {tenant_id!r} not found")


@router.get("", response_model=list[TenantOut], summary="The caller's tenant (a list of one)")
def list_tenants(principal: Admin, context: Context) -> MsgspecJSON:
    """The tenants the caller may see: their own."""
    return MsgspecJSON([_own_tenant(context, principal.tenant_id)])


@router.get("/{tenant_id}", response_model=TenantOut, summary="One tenant (only the caller's own exists for them)")
def get_tenant(tenant_id: str, principal: Admin, context: Context) -> MsgspecJSON:
    """The tenant, or 404 for any other than the caller's."""
    if tenant_id != principal.tenant_id:
        raise NotFound(f"tenant {tenant_id!r} not found")
    return MsgspecJSON(_own_tenant(context, tenant_id))
