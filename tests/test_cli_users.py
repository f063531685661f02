"""`beffroi user add`: creates an account in a tenant the database knows; a missing tenant or a short password is
refused with a message that says what to do, and nothing is saved."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from beffroi.cli import main
from beffroi.store.store import Store

TINY = Path(__file__).resolve().parent.parent / "scenarios" / "tests" / "tiny.json"


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "beffroi.toml"
    path.write_text(f'tenant = "tiny"\nscenario = "{TINY}"\n[store]\nurl = "sqlite:///{tmp_path / "b.db"}"\n')
    return path


def add_user(config: Path, password: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["user", "add", "alice", "--config", str(config), "--password-stdin", *extra], input=password + "\n"
    )
    return result.exit_code, result.output


def test_an_account_is_created_once_the_registry_is_loaded(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    assert CliRunner().invoke(main, ["migrate", "--config", str(config)]).exit_code == 0
    code, output = add_user(config, "a long enough password", "--role", "supervisor")
    assert code == 0, output
    assert "user 'alice' (supervisor) saved in tenant 'tiny'" in output
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        assert store.get_user("tiny", "alice").role == "supervisor"
    finally:
        store.close()


def test_an_unknown_tenant_is_refused_with_the_command_that_loads_it(tmp_path: Path) -> None:
    code, output = add_user(config_file(tmp_path), "a long enough password")
    assert code == 1
    assert "no tenant 'tiny' in the database (known: none)" in output
    assert "beffroi migrate --config FILE" in output


def test_a_short_password_is_refused(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    CliRunner().invoke(main, ["migrate", "--config", str(config)])
    code, output = add_user(config, "short")
    assert code == 1
    assert "at least 10 characters" in output
