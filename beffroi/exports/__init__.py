"""Exports to other systems: CAP 1.2, GeoJSON, webhooks (see the detection and incident issue)."""
