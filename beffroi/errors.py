"""The one exception hierarchy of Beffroi; third-party errors are translated into these at the boundary."""

from __future__ import annotations


class BeffroiError(Exception):
    """Base of every error Beffroi raises on purpose."""


class ConfigError(BeffroiError):
    """A configuration or scenario is invalid; `problems` lists each bad key path with the reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class RejectedInput(BeffroiError):
    """Input that is refused; `reason` is a short machine-readable code and `detail` says what was wrong."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


class InvalidTransition(BeffroiError):
    """A state-machine action that is not allowed in the current state (e.g. acknowledging a cleared alarm)."""

    def __init__(self, entity: str, state: str, action: str) -> None:
        self.entity = entity
        self.state = state
        self.action = action
        super().__init__(f"cannot {action} {entity} in state {state}")


class NotFound(BeffroiError):
    """A looked-up row does not exist (or belongs to another tenant, which must look the same)."""


class BusError(BeffroiError):
    """The bus could not publish or subscribe (backend unreachable, stream misconfigured)."""


class StoreError(BeffroiError):
    """The store could not read or write (database unreachable, migration missing)."""
