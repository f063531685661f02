"""Alarm actions of an API process that does not run the engine: the AlarmCommand goes out on
`beffroi.commands.alarms.<tenant>`, the engine's AlarmCommandOutcome comes back on
`beffroi.commands.outcomes.<tenant>` (the mechanism: `beffroi.api.bus_commands`)."""

from __future__ import annotations

from beffroi.api.bus_commands import BusCommandClient
from beffroi.domain import messages
from beffroi.domain.messages import AlarmChange, AlarmCommand, AlarmCommandOutcome


class BusAlarmCommands(BusCommandClient[AlarmCommand, AlarmChange]):
    """An AlarmCommandSink that reaches the engine through the bus (`beffroi worker api` + `beffroi worker engine`)."""

    name = "alarm-commands"
    outcome_type = AlarmCommandOutcome
    outcomes_filter = messages.ALL_ALARM_COMMAND_OUTCOMES
    owner = "the alarm engine"
    owner_worker = "engine"
    consumer_prefix = "api-outcomes"

    def command_subject(self, tenant_id: str) -> str:
        """The subject the tenant's commands are published on."""
        return messages.alarm_commands_subject(tenant_id)
