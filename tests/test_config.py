"""The config tree: defaults, TOML, environment overrides, and errors that name the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from beffroi.config import SecretRef, load_config, parse_config
from beffroi.config_engine import DEFAULT_THRESHOLD_RULES
from beffroi.errors import ConfigError


def test_defaults_are_the_embedded_mode() -> None:
    config = parse_config({})
    assert config.store.url.startswith("sqlite:///")
    assert config.bus.kind == "inprocess"
    assert not config.mqtt.enabled
    assert config.api.port == 8000
    assert len(config.engine.threshold_rules) == len(DEFAULT_THRESHOLD_RULES)


def test_unknown_key_is_named_with_its_path() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"store": {"ulr": "x"}})
    assert any(problem.startswith("store.ulr:") for problem in caught.value.problems)


def test_bad_value_in_a_list_names_index_and_value() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"engine": {"threshold_rules": [{"name": "x", "metric": "m", "above": 1, "priority": 9}]}})
    problem = caught.value.problems[0]
    assert problem.startswith("engine.threshold_rules[0].priority:")
    assert "got 9" in problem


def test_threshold_rule_needs_one_direction_and_sane_hysteresis() -> None:
    with pytest.raises(ConfigError, match="exactly one"):
        parse_config({"engine": {"threshold_rules": [{"name": "x", "metric": "m"}]}})
    with pytest.raises(ConfigError, match="clear_at"):
        parse_config({"engine": {"threshold_rules": [{"name": "x", "metric": "m", "above": 5, "clear_at": 6}]}})


def test_toml_and_environment_override(tmp_path: Path) -> None:
    path = tmp_path / "beffroi.toml"
    path.write_text('[store]\nurl = "sqlite:///from-file.db"\n[api]\nport = 9000\n', encoding="utf-8")
    config = load_config(path, environ={"BEFFROI_STORE__URL": "postgresql+psycopg://db/b", "OTHER": "x"})
    assert config.store.url == "postgresql+psycopg://db/b"
    assert config.api.port == 9000


def test_environment_value_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={"BEFFROI_API__PORT": "not-a-port"})
    assert caught.value.problems[0].startswith("api.port:")


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[store\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken, environ={})


def test_secrets_come_from_environment_or_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n", encoding="utf-8")
    ref = SecretRef(env="BEFFROI_TEST_SECRET", file=secret_file)
    monkeypatch.delenv("BEFFROI_TEST_SECRET", raising=False)
    assert ref.read() == "from-file"
    monkeypatch.setenv("BEFFROI_TEST_SECRET", "from-env")
    assert ref.read() == "from-env"
    assert SecretRef().read() is None
