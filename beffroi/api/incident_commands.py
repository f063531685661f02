"""Incident actions of an API process that does not run the incident worker: the IncidentCommand goes out on
`beffroi.commands.incidents.<tenant>`, the worker's IncidentCommandOutcome comes back on
`beffroi.commands.incident_outcomes.<tenant>` (the mechanism: `beffroi.api.bus_commands`)."""

from __future__ import annotations

from beffroi.api.bus_commands import BusCommandClient
from beffroi.domain import messages
from beffroi.domain.messages import IncidentChange, IncidentCommand, IncidentCommandOutcome


class BusIncidentCommands(BusCommandClient[IncidentCommand, IncidentChange]):
    """An IncidentCommandSink reaching the incident worker through the bus (`beffroi worker api` + `beffroi worker
    incidents`)."""

    name = "incident-commands"
    outcome_type = IncidentCommandOutcome
    outcomes_filter = messages.ALL_INCIDENT_COMMAND_OUTCOMES
    owner = "the incident worker"
    owner_worker = "incidents"
    consumer_prefix = "api-incident-outcomes"

    def command_subject(self, tenant_id: str) -> str:
        """The subject the tenant's commands are published on."""
        return messages.incident_commands_subject(tenant_id)
