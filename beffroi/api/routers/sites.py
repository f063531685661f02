"""GET /api/sites and /api/sites/{id}: the caller's tenant's venues."""

from __future__ import annotations

from fastapi import APIRouter

from beffroi.api.auth.dependencies import Context, Viewer
from beffroi.api.responses import MsgspecJSON
from beffroi.api.schemas import ErrorOut, SiteOut
from beffroi.errors import NotFound

router = APIRouter(prefix="/api/sites", tags=["registry"], responses={404: {"model": ErrorOut}})


@router.get("", response_model=list[SiteOut], summary="Every site of the tenant, by id")
def list_sites(principal: Viewer, context: Context) -> MsgspecJSON:
    """The tenant's sites."""
    return MsgspecJSON(context.store.list_sites(principal.tenant_id))


@router.get("/{site_id}", response_model=SiteOut, summary="One site")
def get_site(site_id: str, principal: Viewer, context: Context) -> MsgspecJSON:
    """The site, or 404 when the tenant has none with this id."""
    for site in context.store.list_sites(principal.tenant_id):
        if site.id == site_id:
            return MsgspecJSON(site)
    raise NotFound(f"site {site_id!r} not found")
