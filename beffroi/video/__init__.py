"""Video analytics on the CPU (its own issue)."""
