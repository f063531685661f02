"""The bodies of /api/users: local accounts as administrators see them (never a password hash) and change them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from beffroi.api.auth.roles import Role
from beffroi.api.schemas import Shape
from beffroi.store.users import UserRecord

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"

Username = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=USERNAME_PATTERN,
        description="Letters, digits and . _ @ - (starting with a letter or digit)",
    ),
]
Password = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters",
    ),
]
DisplayName = Annotated[str, Field(max_length=200)]


class UserOut(Shape):
    """A local account of the caller's tenant."""

    tenant_id: str
    username: str
    role: Role
    display_name: str
    disabled: bool
    created_at: float

    @classmethod
    def of(cls, user: UserRecord) -> UserOut:
        """The account as the API shows it: everything but the password hash."""
        return cls(
            tenant_id=user.tenant_id,
            username=user.username,
            role=Role.parse(user.role),
            display_name=user.display_name,
            disabled=user.disabled,
            created_at=user.created_at,
        )


class UserCreateIn(Shape):
    """A new account: its name (unique in the tenant), first password and role."""

    username: Username
    password: Password
    role: Role
    display_name: DisplayName = ""


class UserChangeIn(Shape):
    """What to change on an account (at least one field): its role, whether it is disabled, its display name."""

    role: Role | None = None
    disabled: bool | None = None
    display_name: DisplayName | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UserChangeIn:
        if self.role is None and self.disabled is None and self.display_name is None:
            raise ValueError("give at least one of role, disabled, display_name")
        return self


class PasswordResetIn(Shape):
    """The account's new password."""

    password: Password
