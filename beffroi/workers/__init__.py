"""The long-running components, one file each; each wires algorithms to the bus and the store."""
