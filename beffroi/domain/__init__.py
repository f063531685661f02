"""Pure domain types and state machines. Imports nothing else from beffroi except `beffroi.errors`."""
