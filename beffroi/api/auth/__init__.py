"""Authentication and authorisation of the operator API: local accounts, signed tokens, OIDC tokens, roles."""
