"""The `[mobile]` section: defaults, validation naming the field, and the secret read from the environment or a file
(never from the config), refused with a clear error when missing or short."""

from __future__ import annotations

from pathlib import Path

import pytest

from beffroi.config import parse_config
from beffroi.config_mobile import MobileConfig
from beffroi.errors import ConfigError


def test_defaults_are_off_with_k_20_and_5_minute_slots() -> None:
    mobile = parse_config({}, "test").mobile
    assert (mobile.enabled, mobile.k, mobile.epsilon, mobile.slot_s, mobile.stream) == (False, 20, None, 300, True)
    assert (mobile.min_resolution, mobile.idle_survival) == (0.5, True)
    assert (mobile.density_prior, mobile.outside_density, mobile.zone_prior_people) == ("capacity", 0.01, 30.0)
    assert (mobile.timing_advance, mobile.timing_step_m) == (True, 78.12)
    assert mobile.periodic_update_s == 3240.0  # T3412's default, 54 minutes


@pytest.mark.parametrize(
    ("section", "path", "words"),
    [
        ({"k": 0}, "mobile.k", "greater than or equal to 1"),
        ({"epsilon": -1}, "mobile.epsilon", "greater than 0"),
        ({"market_share": 1.5}, "mobile.market_share", "less than or equal to 1"),
        ({"slot_s": 420}, "mobile.slot_s", "must divide an hour"),
        ({"departement": "Paris"}, "mobile.departement", "pattern"),
        ({"zone_departements": {"gate": "9"}}, "mobile.zone_departements.gate", "pattern"),
        ({"density_prior": "census"}, "mobile.density_prior", "'capacity' or 'uniform'"),
        ({"zone_prior_people": 0}, "mobile.zone_prior_people", "greater than 0"),
        ({"timezone": "Mars/Olympus"}, "mobile.timezone", "unknown time zone"),
        ({"min_resolution": 1.5}, "mobile.min_resolution", "less than or equal to 1"),
        ({"timing_step_m": 0}, "mobile.timing_step_m", "greater than 0"),
        ({"periodic_update_s": 30}, "mobile.periodic_update_s", "greater than or equal to 60"),
        ({"enabled": True}, "mobile", "`cell_plan` is required"),
        ({"enabled": True, "cell_plan": "plan.json", "stream": False}, "mobile", "needs `drop_dir` or `stream`"),
        ({"secret": "in-the-file"}, "mobile.secret", "xtra"),
    ],
)
def test_bad_values_are_refused_naming_the_field(section: dict[str, object], path: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"mobile": section}, "test")
    assert any(problem.startswith(path) and words in problem for problem in error.value.problems), error.value.problems


def test_the_secret_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    mobile = MobileConfig()
    assert mobile.read_secret({"BEFFROI_MOBILE_SECRET": "s" * 20}) == b"s" * 20
    secret_file = tmp_path / "secret"
    secret_file.write_text("f" * 24 + "\n")
    assert mobile.read_secret({"BEFFROI_MOBILE_SECRET_FILE": str(secret_file)}) == b"f" * 24
    assert MobileConfig(secret_file=secret_file).read_secret({}) == b"f" * 24


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({}, "no pseudonymisation secret: set $BEFFROI_MOBILE_SECRET"),
        ({"BEFFROI_MOBILE_SECRET": "short"}, "$BEFFROI_MOBILE_SECRET: needs at least 16 bytes"),
        ({"BEFFROI_MOBILE_SECRET_FILE": "/nonexistent/secret"}, "/nonexistent/secret: cannot read"),
    ],
)
def test_a_missing_or_short_secret_is_a_clear_error(environ: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as error:
        MobileConfig().read_secret(environ)
    assert error.value.source == "mobile.secret"
    assert words in error.value.problems[0]
    assert "short" not in str(error.value)  # the secret's value is never part of the message
