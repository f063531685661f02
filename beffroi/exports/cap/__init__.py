"""CAP 1.2 (OASIS Common Alerting Protocol): incidents exported as alerts with revisions, authorities' alerts
imported as events, every message checked against the OASIS schema.

- model: the typed alert (CapAlertDraft → Info → Area); formats: CAP's text forms; rules: what the XSD leaves out;
- writer: draft → XML; validate: safe parsing and the XSD; reader: XML → draft; events: draft → Events;
- revisions: Alert, Update, Cancel of one incident; incident_mapping: incident facts → draft.
"""
