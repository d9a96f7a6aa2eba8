"""The telemetry collector (``mycelium-telemetry-collector``): the maintainers' service.

It accepts events over HTTP, refuses anything off-schema, oversized or flooding, and exports
Prometheus counters whose label values come only from the schema's allowlists. It needs the
``collector`` extra (prometheus-client); the product never imports this package.
"""
