"""The ingest gateway: device payloads from MQTT and HTTP become validated, de-duplicated readings and events.

Modules, one concern each: `decoders/` (payload formats, by registry), `directory` (known devices),
`dedupe` (recent message ids), `batcher` (readings into bus-sized batches), `sink` (where results go),
`topic` (MQTT data topics), `gateway` (the checks, in order), `mqtt` (the subscriber), `http` (the endpoint).
"""
