"""Bulk imports of the registry: devices from CSV, zones from GeoJSON. Checked whole before anything is written."""
