"""The public keys of an OIDC identity provider (a JWKS): inline, from a file, or from a URL fetched and cached."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import jwt

from beffroi.api.auth.errors import AuthenticationFailed
from beffroi.errors import ConfigError

REFRESH_AT_MOST_EVERY_S = 30.0
"""An unknown key id fetches the URL again, but not more often than this (a flood of forged tokens costs nothing)."""


def parse_jwks(document: Mapping[str, Any], source: str) -> jwt.PyJWKSet:
    """The usable keys of a JWKS document; ConfigError naming `source` when it has none."""
    try:
        return jwt.PyJWKSet.from_dict(dict(document))
    except (jwt.PyJWKSetError, jwt.PyJWKError, TypeError, ValueError, KeyError) as error:
        raise ConfigError(source, [f"not a usable JWKS: {error}"]) from None


def read_jwks_file(path: Path) -> jwt.PyJWKSet:
    """The keys of a JWKS file; ConfigError naming the file when it is missing or not a JWKS."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(str(path), [f"cannot read the JWKS: {error}"]) from None
    if not isinstance(document, dict):
        raise ConfigError(str(path), ["a JWKS is a JSON object with a `keys` list"])
    return parse_jwks(document, str(path))


class JwksSource:
    """Finds the key that signed a token, by its `kid` (or the only key, when the token names none)."""

    def __init__(
        self,
        *,
        keys: jwt.PyJWKSet | None = None,
        url: str | None = None,
        cache_s: float = 3600.0,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (keys is None) == (url is None):
            raise ValueError("give either fixed keys or a JWKS URL")
        self._keys = keys
        self._url = url
        self._cache_s = cache_s
        self._http = http
        self._clock = clock
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        """The signing key named `kid`; AuthenticationFailed when no key matches."""
        if self._url is not None and (self._keys is None or self._stale()):
            await self._refresh()
        key = self._find(kid)
        if key is None and self._url is not None and self._may_refetch():
            await self._refresh()
            key = self._find(kid)
        if key is None:
            raise AuthenticationFailed("invalid_token", f"no key of the identity provider has the id {kid!r}")
        return key

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if self._keys is None:
            return None
        keys = self._keys.keys
        if kid is None:
            return keys[0] if len(keys) == 1 else None
        return next((key for key in keys if key.key_id == kid), None)

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self._cache_s

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > REFRESH_AT_MOST_EVERY_S

    async def _refresh(self) -> None:
        assert self._url is not None
        async with self._lock:
            if self._keys is not None and not self._may_refetch():
                return
            try:
                if self._http is not None:
                    response = await self._http.get(self._url, timeout=10.0)
                else:
                    async with httpx.AsyncClient() as http:
                        response = await http.get(self._url, timeout=10.0)
                response.raise_for_status()
                keys = parse_jwks(response.json(), self._url)
            except (httpx.HTTPError, ValueError, ConfigError) as error:
                self._fetched_at = self._clock()  # do not hammer a failing provider
                if self._keys is None:
                    raise AuthenticationFailed(
                        "identity_provider_unavailable", f"cannot read the identity provider's keys: {error}"
                    ) from None
                return  # keep the keys we had
            self._keys = keys
            self._fetched_at = self._clock()
