"""Crowd picture: mobile-network estimation, density fusion, levels of service, forecasting (its own issue)."""
