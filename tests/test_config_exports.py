"""The config's `[cap]` and `[webhooks]` sections: defaults that export and deliver nothing surprising, and each bad
key or value refused with its key path."""

from __future__ import annotations

from typing import Any

import pytest

from beffroi.config import parse_config
from beffroi.errors import ConfigError
from beffroi.exports.cap.incident_mapping import CapExportSettings
from beffroi.exports.cap.model import Scope, Status
from beffroi.workers.webhooks import retry_policy_from, webhook_endpoints_from

ENDPOINT = {"name": "prefecture", "url": "https://alerts.example/hook?token=x"}


def test_the_cap_defaults_are_the_exports_defaults() -> None:
    assert parse_config({}).cap.export_settings() == CapExportSettings(sender="beffroi@localhost")


def test_cap_settings_are_carried_to_the_export() -> None:
    cap = {
        "sender": "pc@ville.example",
        "sender_name": "PC sécurité",
        "timezone": "America/Martinique",
        "language": "en-GB",
        "status": "Exercise",
        "scope": "Private",
        "addresses": "prefecture@interieur.example",
        "web_url": "https://beffroi.example/incidents/{incident_id}",
        "expires_after_s": None,
    }
    settings = parse_config({"cap": cap}).cap.export_settings()
    assert (settings.status, settings.scope, settings.addresses) == (
        Status.EXERCISE,
        Scope.PRIVATE,
        "prefecture@interieur.example",
    )
    assert (settings.timezone, settings.expires_after_s, settings.sender_name) == (
        "America/Martinique",
        None,
        "PC sécurité",
    )


@pytest.mark.parametrize(
    ("cap", "path"),
    [
        ({"sender": "pc sécurité"}, "cap.sender"),
        ({"sender": "a,b"}, "cap.sender"),
        ({"timezone": "Mars/Olympus"}, "cap.timezone"),
        ({"language": "fr FR"}, "cap.language"),
        ({"status": "Real"}, "cap.status"),
        ({"scope": "Private"}, 'cap: Value error, a "Private" scope needs `addresses`'),
        ({"scope": "Restricted", "restriction": None}, 'cap: Value error, a "Restricted" scope needs'),
        ({"web_url": "ftp://x"}, "cap.web_url"),
        ({"expires_after_s": 0}, "cap.expires_after_s"),
        ({"sendr": "x@y"}, "cap.sendr"),
    ],
)
def test_a_bad_cap_setting_names_its_key(cap: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"cap": cap})
    assert any(problem.startswith(path) for problem in error.value.problems), error.value.problems


def test_webhook_endpoints_take_the_configured_tenant_and_read_their_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret-value")
    config = parse_config(
        {
            "tenant": "paris2024",
            "webhooks": {
                "max_attempts": 3,
                "base_delay_s": 0.5,
                "max_delay_s": 10,
                "endpoints": [
                    {**ENDPOINT, "secret": {"env": "HOOK_SECRET"}, "body": "cap"},
                    {
                        "name": "lyon",
                        "url": "http://127.0.0.1:9000/in",
                        "tenant": "lyon",
                        "events": ["incident.opened"],
                    },
                ],
            },
        }
    )
    prefecture, lyon = webhook_endpoints_from(config)
    assert (prefecture.tenant_id, prefecture.secret, prefecture.body, prefecture.events) == (
        "paris2024",
        "s3cret-value",
        "cap",
        ["incident.*"],
    )
    assert (lyon.tenant_id, lyon.secret, lyon.events) == ("lyon", None, ["incident.opened"])
    policy = retry_policy_from(config)
    assert (policy.max_attempts, policy.base_delay_s, policy.max_delay_s) == (3, 0.5, 10.0)
    assert "s3cret" not in repr(prefecture) and "token" not in repr(prefecture)


def test_a_secret_configured_but_not_set_is_refused_unless_only_checking() -> None:
    config = parse_config({"webhooks": {"endpoints": [{**ENDPOINT, "secret": {"env": "BEFFROI_TEST_NO_SUCH_VAR"}}]}})
    with pytest.raises(ConfigError, match=r"webhooks\.endpoints\[0\]\.secret"):
        webhook_endpoints_from(config)
    assert webhook_endpoints_from(config, require_secrets=False)[0].secret is None


@pytest.mark.parametrize(
    ("webhooks", "path"),
    [
        ({"dead_letters": "syslog"}, "webhooks.dead_letters"),
        ({"max_attempts": 0}, "webhooks.max_attempts"),
        ({"base_delay_s": 5, "max_delay_s": 1}, "webhooks: Value error, max_delay_s"),
        ({"queue_size": 0}, "webhooks.queue_size"),
        ({"endpoints": [{**ENDPOINT, "url": "ftp://alerts.example"}]}, "webhooks.endpoints[0].url"),
        ({"endpoints": [{**ENDPOINT, "body": "xml"}]}, "webhooks.endpoints[0].body"),
        ({"endpoints": [{**ENDPOINT, "events": []}]}, "webhooks.endpoints[0].events"),
        ({"endpoints": [{**ENDPOINT, "timeout_s": 0}]}, "webhooks.endpoints[0].timeout_s"),
        ({"endpoints": [{**ENDPOINT, "name": "a b"}]}, "webhooks.endpoints[0].name"),
        ({"endpoints": [{**ENDPOINT, "secret": "plain"}]}, "webhooks.endpoints[0].secret"),
        ({"endpoints": [ENDPOINT, ENDPOINT]}, "webhooks: Value error, endpoint names must be unique"),
        ({"endpoints": [{**ENDPOINT, "retries": 3}]}, "webhooks.endpoints[0].retries"),
    ],
)
def test_a_bad_webhooks_setting_names_its_key(webhooks: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"webhooks": webhooks})
    assert any(problem.startswith(path) for problem in error.value.problems), error.value.problems
