"""The detector's default targets are the configuration's defaults.

``mycelium-onboarding --detect`` without a saved file scans ``Targets()`` and skips the
schema (and pydantic) altogether, so the two sets of defaults must never drift apart.
"""

from __future__ import annotations

from mycelium.config import MyceliumConfig
from mycelium.detection import Targets


def test_the_detectors_defaults_are_the_default_configurations_services() -> None:
    services = MyceliumConfig().services
    password = services.redis.password
    assert Targets() == Targets(
        redis_port=services.redis.port,
        redis_password=password.get_secret_value() if password else None,
        postgres_port=services.postgres.port,
        postgres_user=services.postgres.user,
        temporal_port=services.temporal.port,
        temporal_ui_port=services.temporal.ui_port if services.temporal.enabled else None,
    )
