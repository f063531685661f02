"""The API worker: serves the FastAPI application with uvicorn inside the process's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import uvicorn
from fastapi import FastAPI

from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import AuthSettings, OidcSettings
from beffroi.config import BeffroiConfig
from beffroi.workers.base import Health

log = logging.getLogger("beffroi.workers.api")


class ApiWorker:
    """Runs uvicorn on host:port until stopped."""

    name = "api"

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self._server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", access_log=False)
        )
        self._task: asyncio.Task[None] | None = None
        self.host = host
        self.port = port

    async def start(self) -> None:
        """Start serving; returns once the socket is bound (or raises if it could not be)."""
        self._server.config.setup_event_loop = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._serve(), name="api")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise OSError(f"the API could not start on {self.host}:{self.port}")
            await asyncio.sleep(0.02)
        if self._server.servers and self._server.servers[0].sockets:
            self.port = self._server.servers[0].sockets[0].getsockname()[1]

    async def _serve(self) -> None:
        try:
            await self._server.serve()
        except SystemExit:  # uvicorn exits the process when it cannot bind; here that is an error to raise
            raise OSError(f"the API could not start on {self.host}:{self.port} (see the error logged above)") from None

    async def stop(self) -> None:
        """Finish the requests in progress, then close."""
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def health(self) -> Health:
        """Where the API listens."""
        return {"host": self.host, "port": self.port}


def auth_settings_from(config: BeffroiConfig) -> AuthSettings:
    """The API's authentication settings from the config tree; raises ConfigError without a usable secret."""
    oidc_config = config.auth.oidc
    oidc = None
    if oidc_config is not None:
        oidc = OidcSettings(
            issuer=oidc_config.issuer,
            audience=oidc_config.audience,
            jwks=oidc_config.jwks,
            jwks_file=oidc_config.jwks_file,
            jwks_url=oidc_config.jwks_url,
            jwks_cache_s=oidc_config.jwks_cache_s,
            algorithms=tuple(oidc_config.algorithms),
            tenant_claim=oidc_config.tenant_claim,
            role_claim=oidc_config.role_claim,
            username_claim=oidc_config.username_claim,
            default_tenant=oidc_config.default_tenant,
            default_role=Role.parse(oidc_config.default_role) if oidc_config.default_role else None,
            leeway_s=oidc_config.leeway_s,
        )
    return AuthSettings(config.auth.secret.read() or "", token_ttl_s=config.auth.token_ttl_s, oidc=oidc)
