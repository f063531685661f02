"""The HTTP API (FastAPI): health, the ingest endpoint, and (later) the operator API and WebSocket hub."""
