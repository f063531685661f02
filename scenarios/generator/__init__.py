"""The generator of the default scenario (scenarios/paris2024.json): venues, layouts, equipment, schedule."""
