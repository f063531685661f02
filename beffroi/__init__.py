"""Beffroi: an open, self-hostable control tower for the security of large events, cities and sensitive sites."""

__version__ = "0.1.0"
