"""The roles of the operator API, each allowed all the ones below it may do: viewer < operator < supervisor < admin."""

from __future__ import annotations

from enum import StrEnum

from beffroi.errors import RejectedInput


class Role(StrEnum):
    """What a user may do: watch (viewer), act on alarms (operator), read the audit log (supervisor), administer."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for viewer up to 3 for admin."""
        return _ORDER.index(self)

    def allows(self, required: Role) -> bool:
        """True when this role may do what `required` may."""
        return self.rank >= required.rank

    @classmethod
    def parse(cls, name: str) -> Role:
        """The role called `name`; RejectedInput naming the known roles otherwise."""
        try:
            return cls(name)
        except ValueError:
            known = ", ".join(role.value for role in cls)
            raise RejectedInput("unknown_role", f"unknown role {name!r}; known roles: {known}") from None


_ORDER = (Role.VIEWER, Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
