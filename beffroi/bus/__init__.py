"""The event bus: one protocol (`beffroi.bus.base.Bus`), one file per backend, chosen by `kind`."""
