"""`beffroi check-config` on a TOML config also reads the incidents section's correlation rules and procedures
(naming the file and key of a problem) and checks the webhook endpoints; a secret not set where it runs is a warning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from beffroi.cli import main

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tests" / "tiny.json"


@pytest.fixture(autouse=True)
def no_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BEFFROI_") and "__" in name:
            monkeypatch.delenv(name)


def check(tmp_path: Path, sections: str) -> Result:
    path = tmp_path / "beffroi.toml"
    path.write_text(f'tenant = "tiny"\nscenario = "{TINY}"\n{sections}', encoding="utf-8")
    return CliRunner().invoke(main, ["check-config", str(path)])


def test_the_packaged_rules_and_procedures_are_counted(tmp_path: Path) -> None:
    result = check(tmp_path, "")
    assert result.exit_code == 0, result.output
    assert "valid configuration" in result.stdout
    assert "correlation rule(s)" in result.stdout and "procedure(s)" in result.stdout
    assert "webhooks: 0 endpoint(s)" in result.stdout


def test_own_rule_and_procedure_files_are_read(tmp_path: Path) -> None:
    rules, procedures = tmp_path / "rules.yaml", tmp_path / "sops.yaml"
    rules.write_text(
        "rules:\n  - name: crush\n    incident_type: crowd_crush\n    title: Crush\n    priority: 1\n"
        "    place: zone\n    window_s: 60\n    all_of: [overcrowding, panic]\n",
        encoding="utf-8",
    )
    procedures.write_text(
        "procedures:\n  - name: generic\n    title: Generic\n    steps:\n      - id: assess\n        text: Assess\n",
        encoding="utf-8",
    )
    result = check(tmp_path, f'[incidents]\ncorrelation_rules = "{rules}"\nprocedures = "{procedures}"\n')
    assert result.exit_code == 0, result.output
    assert "incidents: 1 correlation rule(s), 1 procedure(s)" in result.stdout


def test_a_broken_rules_file_is_named(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: x\n    all_of: 3\n", encoding="utf-8")
    result = check(tmp_path, f'[incidents]\ncorrelation_rules = "{rules}"\n')
    assert result.exit_code == 1 and result.stdout == ""
    assert str(rules) in result.stderr


def test_a_missing_procedures_file_is_named(tmp_path: Path) -> None:
    result = check(tmp_path, f'[incidents]\nprocedures = "{tmp_path / "nowhere.yaml"}"\n')
    assert result.exit_code == 1
    assert "nowhere.yaml" in result.stderr


def test_webhook_endpoints_are_checked_and_an_unset_secret_is_a_warning(tmp_path: Path) -> None:
    endpoint = '[[webhooks.endpoints]]\nname = "prefecture"\nurl = "https://alerts.example/hook"\n'
    result = check(tmp_path, endpoint + 'secret = { env = "BEFFROI_TEST_UNSET_SECRET" }\n')
    assert result.exit_code == 0, result.output
    assert "webhooks: 1 endpoint(s)" in result.stdout
    assert "warning: webhooks.endpoints[0].secret" in result.stderr and "BEFFROI_TEST_UNSET_SECRET" in result.stderr
    twice = check(tmp_path, endpoint + endpoint.replace("https://", "http://"))
    assert twice.exit_code == 1 and "endpoint names must be unique" in twice.stderr
