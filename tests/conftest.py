"""Settings every test shares."""

from __future__ import annotations

import pytest

TEST_API_SECRET = "test-secret-for-signing-api-tokens-0123456789"


@pytest.fixture(autouse=True)
def api_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """The API refuses to start without a token-signing secret; tests (and the processes they start) get one."""
    monkeypatch.setenv("BEFFROI_API_SECRET", TEST_API_SECRET)
    return TEST_API_SECRET
