"""Serves the web console: its built files at `/` and `/assets/…`, and its settings at `GET /api/console/config`.

The console is built from `console/` (TypeScript, Vite) into `beffroi/api/static/console` by the setup script, and
the wheel carries that folder. Without a build, `/` answers 503 with the command that builds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Scope

CONSOLE_DIR = Path(__file__).resolve().parent / "static" / "console"
NOT_BUILT = (
    "<!doctype html><title>Beffroi</title><h1>The console is not built</h1>"
    "<p>Run <code>scripts/setup.sh</code> (it needs Node.js 20 or newer), then restart. The API is at "
    '<a href="/api/openapi.json">/api/openapi.json</a>.</p>'
)


@dataclass(frozen=True)
class ConsoleSettings:
    """What the console needs before anyone logs in."""

    basemap_style_url: str | None = None
    default_language: Literal["fr", "en"] = "fr"
    default_tenant: str | None = None
    heartbeat_s: float = 5.0


class ConsoleConfigOut(BaseModel):
    """The console's settings: no data, so no token needed."""

    basemap_style_url: str | None
    default_language: Literal["fr", "en"]
    default_tenant: str | None
    heartbeat_s: float


class _Assets(StaticFiles):
    """Vite's hashed assets: cached for a year, since a new build gives new names."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def content_security_policy(basemap_style_url: str | None) -> str:
    """Only this server (and the basemap's origin, when one is configured) may serve code, data and images."""
    extra = ""
    if basemap_style_url is not None and "://" in basemap_style_url:
        parts = urlsplit(basemap_style_url)
        extra = f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; "
        f"connect-src 'self' ws: wss:{extra}; "
        f"img-src 'self' data: blob:{extra}; "
        "style-src 'self' 'unsafe-inline'; "
        "worker-src 'self' blob:; child-src blob:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


def mount_console(app: FastAPI, settings: ConsoleSettings, directory: Path = CONSOLE_DIR) -> None:
    """Add `GET /api/console/config`, and the console's files when `directory` holds a build."""

    @app.get(
        "/api/console/config",
        response_model=ConsoleConfigOut,
        tags=["console"],
        summary="The web console's settings (public: no data)",
    )
    async def console_config() -> ConsoleConfigOut:
        return ConsoleConfigOut(
            basemap_style_url=settings.basemap_style_url,
            default_language=settings.default_language,
            default_tenant=settings.default_tenant,
            heartbeat_s=settings.heartbeat_s,
        )

    index = directory / "index.html"
    headers = {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": content_security_policy(settings.basemap_style_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    if (directory / "assets").is_dir():
        app.mount("/assets", _Assets(directory=directory / "assets"), name="console-assets")

    @app.get("/", include_in_schema=False)
    async def console_page() -> Response:
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503)
        return FileResponse(index, media_type="text/html", headers=headers)

    @app.get("/favicon.svg", include_in_schema=False)
    async def favicon() -> Response:
        icon = directory / "favicon.svg"
        if not icon.is_file():
            return JSONResponse({"reason": "not_found", "detail": "no favicon in this build"}, status_code=404)
        return FileResponse(icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
