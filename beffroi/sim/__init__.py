"""The scenario and the simulator: sites, sensors, crowds, injected incidents, ground truth."""
