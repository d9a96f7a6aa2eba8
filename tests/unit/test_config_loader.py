"""Loading configuration text: every error message a user can meet, word for word."""

from __future__ import annotations

import pytest

from mycelium.config import MyceliumConfig, load_text
from mycelium.errors import ConfigError

SRC = "cfg.yaml"


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_text(text, SRC)
    return [str(info.value).splitlines()[0], *info.value.problems]


def test_an_empty_mapping_loads_as_the_defaults() -> None:
    assert load_text("{}\n", SRC).config == MyceliumConfig()


def test_a_bad_port_names_the_line_the_field_and_the_range() -> None:
    text = "services:\n  redis:\n    port: 70000\n"
    assert problems_of(text) == [
        "cfg.yaml: invalid configuration (1 problem):",
        "cfg.yaml:3: services.redis.port: 70000 is not a valid port; use 1–65535",
    ]


def test_an_unknown_key_suggests_the_nearest_field() -> None:
    text = "services:\n  redis:\n    prot: 6380\n"
    assert problems_of(text)[1] == (
        "cfg.yaml:3: services.redis.prot: unknown setting; did you mean 'port'?"
    )


def test_an_unknown_key_with_no_near_miss_lists_the_known_ones() -> None:
    text = "telemetry:\n  zzz: 1\n"
    assert problems_of(text)[1] == (
        "cfg.yaml:2: telemetry.zzz: unknown setting; remove it or use one of: enabled, endpoint"
    )


def test_problems_are_listed_in_file_order() -> None:
    text = "deployment:\n  method: docker\nservices:\n  postgres:\n    port: xx\n"
    assert problems_of(text)[1:] == [
        (
            "cfg.yaml:2: deployment.method: 'docker' is not accepted: "
            "input should be 'docker-compose' or 'justfile'"
        ),
        "cfg.yaml:5: services.postgres.port: 'xx' is not a whole number",
    ]


def test_broken_yaml_names_the_line_and_column() -> None:
    text = "services:\n  redis:\n    port: [6379\n"
    first = problems_of(text)[0]
    assert first.startswith("cfg.yaml:4:1: invalid YAML: ")


def test_a_tab_indented_file_is_a_yaml_error_with_its_line() -> None:
    text = "services:\n\tredis: {}\n"
    assert problems_of(text)[0].startswith("cfg.yaml:2:1: invalid YAML: ")


def test_a_duplicate_key_is_refused_rather_than_silently_overwritten() -> None:
    text = "project_name: a\nproject_name: b\n"
    assert problems_of(text) == [
        "cfg.yaml:2: project_name: the key appears twice; keep one of them"
    ]


def test_an_empty_file_says_how_to_get_the_defaults() -> None:
    assert problems_of("") == [
        "cfg.yaml: the file is empty",
        "run `mycelium-configuration init --force` to write the defaults",
    ]


def test_a_list_at_the_top_level_is_refused() -> None:
    assert problems_of("- a\n- b\n")[0] == (
        "cfg.yaml: the top level must be a mapping of settings "
        "(project_name:, services:, deployment:), not a list"
    )


def test_a_newer_schema_asks_for_an_upgrade() -> None:
    assert problems_of("schema_version: 9\n")[0] == (
        "cfg.yaml:1: schema_version: 9 is newer than this mycelium understands (2); "
        "install a newer mycelium release (`uv tool install --force` its wheel, as "
        "docs/INSTALLATION.md says)"
    )


def test_a_password_value_is_never_echoed_in_an_error() -> None:
    text = "services:\n  redis:\n    password: [hunter2]\n"
    lines = problems_of(text)
    assert "hunter2" not in "\n".join(lines)
    assert lines[1] == "cfg.yaml:3: services.redis.password: '***' is not text"


def test_two_enabled_services_on_one_port_is_an_error() -> None:
    text = "services:\n  postgres:\n    port: 6379\n"
    assert problems_of(text)[1] == (
        "cfg.yaml: services.postgres.port and services.redis.port both use port 6379; "
        "give one of them another port"
    )


def test_a_task_queue_on_a_disabled_backend_is_an_error() -> None:
    text = "services:\n  redis:\n    enabled: false\n"
    assert problems_of(text)[1] == (
        "cfg.yaml: services.taskqueue.backend is redis but services.redis.enabled is false; "
        "enable it or choose another backend"
    )


def test_no_enabled_service_is_an_error() -> None:
    text = (
        "services:\n  redis: {enabled: false}\n  postgres: {enabled: false}\n"
        "  taskqueue: {enabled: false}\n"
    )
    assert problems_of(text)[1] == (
        "cfg.yaml: no service is enabled; set services.redis.enabled (or postgres, temporal) "
        "to true"
    )


def test_a_non_ip_bind_address_says_what_to_use() -> None:
    assert problems_of("deployment:\n  bind_address: anywhere\n")[1] == (
        "cfg.yaml:2: deployment.bind_address: 'anywhere' is not an IP address; "
        "use 127.0.0.1 (this machine only) or 0.0.0.0"
    )


def test_a_schema_1_file_is_migrated_and_says_so() -> None:
    text = (
        "schema_version: 1\nproject:\n  name: legacy\nservices:\n  postgresql:\n"
        "    port: 5433\ndeployment:\n  method: native\n  directory: out\n"
    )
    loaded = load_text(text, SRC)
    assert loaded.migrated_from == 1
    assert loaded.config.project_name == "legacy"
    assert loaded.config.services.postgres.port == 5433
    assert loaded.config.deployment.method.value == "justfile"
    assert loaded.config.deployment.output_dir.as_posix() == "out"


def test_redacted_data_masks_passwords_and_revealed_keeps_them() -> None:
    config = load_text("services:\n  redis:\n    password: hunter2\n", SRC).config
    assert config.redacted()["services"]["redis"]["password"] == "**********"  # type: ignore[index]
    assert config.revealed()["services"]["redis"]["password"] == "hunter2"  # type: ignore[index]


def test_a_control_character_is_a_yaml_error_with_its_line() -> None:
    assert problems_of("project_name: a\nx: \x1f\n")[0] == (
        "cfg.yaml:2: invalid YAML: the control character U+001F is not allowed in YAML; remove it"
    )


def test_a_merge_key_override_is_not_a_duplicate_key() -> None:
    text = (
        "services:\n"
        "  redis: &local\n"
        "    host: 127.0.0.1\n"
        "  postgres:\n"
        "    <<: *local\n"
        "    host: localhost\n"
    )
    services = load_text(text, SRC).config.services
    assert services.postgres.host == "localhost"
    assert services.redis.host == "127.0.0.1"


def test_a_merged_value_that_fails_points_at_the_line_it_comes_from() -> None:
    text = "services:\n  redis: &bad\n    port: 0\n  postgres:\n    <<: *bad\n    host: localhost\n"
    assert "cfg.yaml:3: services.postgres.port: 0 is not a valid port; use 1–65535" in (
        problems_of(text)
    )


def test_a_key_written_twice_beside_a_merge_is_still_a_duplicate() -> None:
    text = "services:\n  redis: &r {}\n  postgres:\n    <<: *r\n    port: 1\n    port: 2\n"
    assert problems_of(text) == [
        "cfg.yaml:6: services.postgres.port: the key appears twice; keep one of them"
    ]


@pytest.mark.parametrize("host", ["999.999.999.999", "0x7f.1", "256.1.1.1", "1.2.3"])
def test_an_address_that_does_not_parse_is_not_taken_for_a_host_name(host: str) -> None:
    from pydantic import ValidationError

    from mycelium.config.models import MyceliumConfig

    with pytest.raises(ValidationError, match="is not a host name or IP address"):
        MyceliumConfig.model_validate({"services": {"redis": {"host": host}}})
