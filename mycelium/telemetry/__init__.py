"""Opt-in telemetry: the event schema, the consent rules and the background sender.

Nothing here runs unless the user opted in (docs/PRIVACY.md). The collector that receives
the events is the maintainers' side, in :mod:`mycelium.telemetry.collector` (the
``collector`` extra); the product never imports it.
"""
