"""The scan's quick read of a configuration agrees with full validation, or defers to it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mycelium.cli.onboarding import _targets, _targets_of_settings
from mycelium.config.loader import load_text
from mycelium.config.models import CURRENT_SCHEMA_VERSION, MyceliumConfig, TemporalConfig
from mycelium.config.quick_read import (
    CURRENT_SCHEMA,
    DEFAULT_TEMPORAL_UI_PORT,
    read_scan_settings,
    read_telemetry,
)
from mycelium.config.store import render


def test_its_constants_are_the_schemas() -> None:
    assert CURRENT_SCHEMA == CURRENT_SCHEMA_VERSION
    assert TemporalConfig().ui_port == DEFAULT_TEMPORAL_UI_PORT


ports = st.integers(min_value=1, max_value=65535)


@settings(max_examples=60)
@given(
    redis=ports,
    postgres=ports,
    temporal=ports,
    ui=ports,
    enabled=st.booleans(),
    password=st.none() | st.text(alphabet="abcXYZ019-_", min_size=1, max_size=12),
    user=st.sampled_from(["mycelium", "app_1", "x-y"]),
)
def test_whenever_it_answers_it_answers_what_full_validation_would(  # noqa: PLR0917 - a field each
    redis: int, postgres: int, temporal: int, ui: int, enabled: bool, password: str | None,
    user: str,
) -> None:  # fmt: skip
    services = {
        "redis": {"port": redis, "password": password},
        "postgres": {"port": postgres, "user": user},
        "temporal": {"port": temporal, "ui_port": ui, "enabled": enabled},
    }
    try:
        config = MyceliumConfig.model_validate({"services": services})
    except ValueError:
        return  # two services on one port, say: not a file a user could save
    text = render(config)
    quick = read_scan_settings(text)
    assert quick is not None
    assert _targets_of_settings(quick) == _targets(load_text(text, "t.yaml").config)


@pytest.mark.parametrize(
    "text",
    [
        "schema_version: 1\nservices:\n  postgresql:\n    port: 5433\n",  # migrated by the schema
        "services:\n  redis:\n    port: 6390\n",  # no schema_version
        "schema_version: 2\nservices:\n  redis:\n    port: 70000\n",
        "schema_version: 2\nservices:\n  redis:\n    port: '6379'\n",
        "schema_version: 2\nservices:\n  redis:\n    port: true\n",
        "schema_version: 2\nservices:\n  redis:\n    port: null\n",
        "schema_version: 2\nservices: [redis]\n",
        "schema_version: 2\nservices:\n  redis: null\n",
        "schema_version: 2\nservices:\n  postgres:\n    user: Bad User\n",
        "schema_version: 2\nservices:\n  redis:\n    password: 12345\n",
        "schema_version: 2\nservices:\n  temporal:\n    enabled: 'yes'\n",
        "schema_version: true\n",
        "[1, 2]\n",
        "a: [\n",
    ],
)
def test_what_it_is_not_sure_of_goes_to_full_validation(text: str) -> None:
    assert read_scan_settings(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("schema_version: 2\n", (None, None)),
        ("schema_version: 2\ntelemetry:\n  enabled: true\n", (True, None)),
        (
            "schema_version: 2\ntelemetry:\n  enabled: false\n  endpoint: https://t.example/v1\n",
            (False, "https://t.example/v1"),
        ),
        ("schema_version: 2\ntelemetry:\n  enabled: 'yes'\n", None),
        ("schema_version: 2\ntelemetry:\n  enabled: null\n", None),
        ("schema_version: 2\ntelemetry: [on]\n", None),
        ("schema_version: 1\ntelemetry:\n  enabled: true\n", None),
    ],
)
def test_telemetry_consent_is_read_quickly_or_left_to_full_validation(
    text: str, expected: tuple[bool | None, str | None] | None
) -> None:
    assert read_telemetry(text) == expected
