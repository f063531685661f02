"""Errors of authentication (401) and authorisation (403)."""

from __future__ import annotations

from beffroi.errors import BeffroiError


class AuthenticationFailed(BeffroiError):
    """No valid credentials: missing, malformed, forged or expired token, or wrong password (HTTP 401)."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


class PermissionDenied(BeffroiError):
    """Authenticated, but the role does not allow the action (HTTP 403)."""
