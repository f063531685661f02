"""The operator API's routers, one per resource, all under /api."""
