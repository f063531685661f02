"""The console's files and settings as the API serves them: public settings, the page with a strict content
security policy, hashed assets cached for long, and a clear 503 when the console was not built."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from beffroi.api.console import ConsoleSettings, content_security_policy, mount_console


def built_console(directory: Path) -> Path:
    (directory / "assets").mkdir(parents=True)
    (directory / "index.html").write_text('<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>')
    (directory / "assets" / "app-1a2b.js").write_text("console.log('beffroi')")
    return directory


def client(directory: Path, settings: ConsoleSettings | None = None) -> httpx.AsyncClient:
    app = FastAPI()
    mount_console(app, settings or ConsoleSettings(), directory)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi")


async def test_the_settings_are_public_and_say_which_basemap_and_language(tmp_path: Path) -> None:
    settings = ConsoleSettings(basemap_style_url="https://tiles.example.org/style.json", default_tenant="paris2024")
    async with client(tmp_path, settings) as http:
        response = await http.get("/api/console/config")
    assert response.status_code == 200
    assert response.json() == {
        "basemap_style_url": "https://tiles.example.org/style.json",
        "default_language": "fr",
        "default_tenant": "paris2024",
        "heartbeat_s": 5.0,
    }


async def test_the_page_is_served_uncached_with_a_strict_policy_and_assets_cached_for_a_year(tmp_path: Path) -> None:
    async with client(built_console(tmp_path / "console")) as http:
        page = await http.get("/")
        asset = await http.get("/assets/app-1a2b.js")
        missing = await http.get("/assets/missing.js")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    assert missing.status_code == 404


async def test_without_a_build_the_page_says_how_to_build_it(tmp_path: Path) -> None:
    async with client(tmp_path / "nothing-here") as http:
        response = await http.get("/")
    assert response.status_code == 503
    assert "scripts/setup.sh" in response.text


def test_a_configured_basemap_origin_is_the_only_other_one_allowed() -> None:
    policy = content_security_policy("https://tiles.example.org/styles/dark.json")
    assert "connect-src 'self' ws: wss: https://tiles.example.org;" in policy
    assert "img-src 'self' data: blob: https://tiles.example.org;" in policy
    assert "tiles.example.org" not in content_security_policy(None)
