"""`beffroi user …`: local operator accounts (argon2id password hashes) in the store."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from beffroi.api.auth.passwords import hash_password
from beffroi.api.auth.roles import Role
from beffroi.config import load_config
from beffroi.errors import BeffroiError, ConfigError
from beffroi.store.store import Store
from beffroi.store.users import UserRecord

ROLES = [role.value for role in Role]
MIN_PASSWORD_LENGTH = 10


def create_user(store: Store, tenant: str, username: str, password: str, role: str, display_name: str = "") -> None:
    """Add or replace an account (the tenant must exist in the registry)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", param_hint="password")
    known = sorted(known_tenant.id for known_tenant in store.list_tenants())
    if tenant not in known:
        raise click.BadParameter(
            f"no tenant {tenant!r} in the database (known: {', '.join(known) or 'none'}); "
            "load the registry first: beffroi migrate --config FILE",
            param_hint="--tenant",
        )
    store.upsert_user(
        UserRecord(
            tenant_id=tenant,
            username=username,
            password_hash=hash_password(password),
            role=Role.parse(role).value,
            display_name=display_name,
            disabled=False,
            created_at=time.time(),
        )
    )


@click.group()
def user() -> None:
    """Local operator accounts."""


@user.command("add")
@click.argument("username")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--tenant", default=None, help="Tenant (default: the config's).")
@click.option("--role", type=click.Choice(ROLES), default="operator", show_default=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
def add(
    username: str, config_path: Path | None, tenant: str | None, role: str, display_name: str, password_stdin: bool
) -> None:
    """Create an account (or reset its password and role); the first one is usually an admin."""
    try:
        config = load_config(config_path)
    except ConfigError as error:
        click.echo(f"invalid configuration {error.source}: " + "; ".join(error.problems), err=True)
        sys.exit(1)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = Store(config.store.url, password=config.store.password.read())
    try:
        store.migrate()
        create_user(store, tenant or config.tenant, username, password, role, display_name)
    except (BeffroiError, click.BadParameter) as error:
        click.echo(f"beffroi: {error.format_message() if isinstance(error, click.BadParameter) else error}", err=True)
        sys.exit(1)
    finally:
        store.close()
    click.echo(f"user {username!r} ({role}) saved in tenant {tenant or config.tenant!r}")
