"""The generators: pure, deterministic, LF-only text from a configuration."""

from __future__ import annotations

import re
import string
from typing import Any

import jinja2
import pytest
import yaml

from mycelium.config import MyceliumConfig
from mycelium.generators import DockerComposeGenerator, JustfileGenerator, SecretsGenerator
from mycelium.generators.envfile import parse_env, secret_names
from mycelium.generators.rendering import environment, render, template

ALL = {"services": {"temporal": {"enabled": True}}}


def config(data: dict[str, Any] | None = None) -> MyceliumConfig:
    return MyceliumConfig.model_validate(data or {})


def compose(data: dict[str, Any] | None = None) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DockerComposeGenerator().render(config(data)))
    return loaded


def test_same_configuration_renders_byte_identical_files() -> None:
    first = [DockerComposeGenerator().render(config(ALL)), JustfileGenerator().render(config(ALL))]
    second = [DockerComposeGenerator().render(config(ALL)), JustfileGenerator().render(config(ALL))]
    assert first == second


@pytest.mark.parametrize("generator", [DockerComposeGenerator(), JustfileGenerator()])
def test_output_is_lf_only_ascii_and_ends_with_one_newline(
    generator: DockerComposeGenerator | JustfileGenerator,
) -> None:
    text = generator.render(config(ALL))
    assert "\r" not in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    text.encode("ascii")  # UTF-8 by construction; nothing exotic slipped in
    assert not [line for line in text.splitlines() if line != line.rstrip()]


def test_templates_are_compiled_once_per_process() -> None:
    assert template("docker-compose.yml.j2") is template("docker-compose.yml.j2")
    assert environment() is environment()


def test_a_template_mistake_fails_loudly_instead_of_rendering_empty() -> None:
    with pytest.raises(jinja2.UndefinedError, match="'taskqueue' is undefined"):
        render("docker-compose.yml.j2", {"project": "x"})


def test_compose_has_one_service_per_enabled_service() -> None:
    assert set(compose()["services"]) == {"redis", "postgres"}
    assert set(compose(ALL)["services"]) == {
        "redis",
        "postgres",
        "temporal-db",
        "temporal",
        "temporal-ui",
    }
    redis_only = {"services": {"postgres": {"enabled": False}}}
    assert set(compose(redis_only)["services"]) == {"redis"}


def test_compose_pins_images_to_the_configured_versions() -> None:
    services = compose(
        {
            "services": {
                "redis": {"version": "7.2.5"},
                "postgres": {"version": "15.7"},
                "temporal": {"enabled": True, "version": "1.24.0", "ui_version": "2.30.0"},
            }
        }
    )["services"]
    assert services["redis"]["image"] == "redis:7.2.5"
    assert services["postgres"]["image"] == "postgres:15.7"
    assert services["temporal"]["image"] == "temporalio/auto-setup:1.24.0"
    assert services["temporal-ui"]["image"] == "temporalio/ui:2.30.0"


def test_ports_are_published_on_loopback_unless_the_configuration_says_otherwise() -> None:
    data: dict[str, Any] = {"services": {"redis": {"port": 16379}, "postgres": {"port": 15432}}}
    services = compose(data)["services"]
    assert services["redis"]["ports"] == ["127.0.0.1:16379:6379"]
    assert services["postgres"]["ports"] == ["127.0.0.1:15432:5432"]
    exposed = compose({**data, "deployment": {"bind_address": "0.0.0.0"}})["services"]
    assert exposed["redis"]["ports"] == ["0.0.0.0:16379:6379"]
    ipv6 = compose({**data, "deployment": {"bind_address": "::1"}})["services"]
    assert ipv6["redis"]["ports"] == ["[::1]:16379:6379"]


def test_every_service_is_hardened_and_restarts() -> None:
    for name, service in compose(ALL)["services"].items():
        assert service["restart"] == "unless-stopped", name
        assert service["security_opt"] == ["no-new-privileges:true"], name
        assert service["cap_drop"] == ["ALL"], name
        assert set(service["deploy"]["resources"]["limits"]) == {"cpus", "memory"}, name
        assert service["healthcheck"]["test"], name
    services = compose(ALL)["services"]
    assert services["redis"]["user"] == "redis"
    assert services["postgres"]["user"] == "postgres"


def test_passwords_come_only_from_env_variables() -> None:
    text = DockerComposeGenerator().render(config(ALL))
    services = yaml.safe_load(text)["services"]
    assert services["redis"]["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )
    assert services["temporal"]["environment"]["POSTGRES_PWD"].startswith(
        "${TEMPORAL_DB_PASSWORD:?"
    )
    # Redis always has a password, read by the container's shell, not written in the file.
    assert '--requirepass "$$REDIS_PASSWORD"' in text


def test_healthchecks_test_readiness_the_right_way() -> None:
    services = compose(ALL)["services"]
    assert services["postgres"]["healthcheck"]["test"][:4] == [
        "CMD",
        "pg_isready",
        "-h",
        "127.0.0.1",
    ]
    redis_test = services["redis"]["healthcheck"]["test"]
    assert redis_test[0] == "CMD-SHELL"
    assert 'REDISCLI_AUTH="$$REDIS_PASSWORD" redis-cli' in redis_test[1]
    assert "ping" in redis_test[1]


def test_dependents_wait_for_healthy_services() -> None:
    services = compose(ALL)["services"]
    assert services["temporal"]["depends_on"] == {"temporal-db": {"condition": "service_healthy"}}
    assert services["temporal-ui"]["depends_on"] == {"temporal": {"condition": "service_healthy"}}


def test_data_lives_in_named_volumes() -> None:
    document = compose(ALL)
    assert set(document["volumes"]) == {"redis-data", "postgres-data", "temporal-db-data"}
    assert document["services"]["redis"]["volumes"] == ["redis-data:/data"]


def test_redis_memory_limit_leaves_room_above_maxmemory() -> None:
    limits = compose({"services": {"redis": {"max_memory": "1gb"}}})["services"]["redis"]
    assert limits["deploy"]["resources"]["limits"]["memory"] == "2048M"
    assert "--maxmemory 1gb" in limits["command"][2]


def test_the_task_queue_is_recorded_on_its_backend() -> None:
    document = compose({"services": {"taskqueue": {"backend": "postgres", "queue": "jobs"}}})
    assert document["x-mycelium-taskqueue"]["backend"] == "postgres"
    assert document["services"]["postgres"]["labels"] == {"io.mycelium.taskqueue": "jobs"}
    assert "labels" not in document["services"]["redis"]


def test_justfile_has_the_five_recipes_per_enabled_service() -> None:
    text = JustfileGenerator().render(config({"services": {"postgres": {"enabled": False}}}))
    recipes = set(re.findall(r"^([a-z][a-z-]*)(?: [^:]*)?:(?!=)", text, re.MULTILINE))
    assert recipes == {
        "up",
        "down",
        "status",
        "logs",
        "reset",
        "redis-up",
        "redis-down",
        "redis-status",
        "redis-logs",
        "redis-reset",
    }


def test_justfile_uses_the_configured_ports_and_says_how_to_install_missing_programs() -> None:
    text = JustfileGenerator().render(
        config({"services": {"redis": {"port": 16390}, "temporal": {"enabled": True}}})
    )
    assert 'redis_port := "16390"' in text
    assert "brew install redis" in text
    assert "apt-get install postgresql" in text
    assert "temporal server start-dev" in text
    # The password reaches redis-server through a private file, never its command line.
    assert "printf 'requirepass %s\\n' \"$REDIS_PASSWORD\"" in text
    assert "--requirepass" not in text


def test_secrets_are_url_safe_and_long() -> None:
    values = SecretsGenerator().values(config(ALL), {})
    assert list(values) == ["REDIS_PASSWORD", "POSTGRES_PASSWORD", "TEMPORAL_DB_PASSWORD"]
    allowed = set(string.ascii_letters + string.digits + "-_")
    for value in values.values():
        assert len(value) >= 43
        assert set(value) <= allowed
        assert not value.startswith("-")
    assert len(set(values.values())) == 3


def test_existing_secrets_are_kept_and_rotated_only_when_asked() -> None:
    existing = "REDIS_PASSWORD=kept-redis\nPOSTGRES_PASSWORD=kept-pg\nMINE=x\n"
    text = SecretsGenerator().render(config(), existing)
    parsed = parse_env(text)
    assert parsed["REDIS_PASSWORD"] == "kept-redis"
    assert parsed["POSTGRES_PASSWORD"] == "kept-pg"
    assert parsed["MINE"] == "x"
    assert parsed["COMPOSE_PROJECT_NAME"] == "mycelium"
    rotated = parse_env(SecretsGenerator().render(config(), existing, rotate=True))
    assert rotated["REDIS_PASSWORD"] != "kept-redis"
    assert rotated["POSTGRES_PASSWORD"] != "kept-pg"


def test_a_secret_starting_with_a_dash_is_drawn_again() -> None:
    draws = iter(["-looks-like-an-option", "fine"])
    generator = SecretsGenerator(token=lambda _: next(draws))
    assert generator.values(
        config({"services": {"postgres": {"enabled": False}, "taskqueue": {"enabled": False}}}), {}
    ) == {"REDIS_PASSWORD": "fine"}


def test_secret_names_follow_the_enabled_services() -> None:
    assert secret_names(
        config({"services": {"redis": {"enabled": False}, "taskqueue": {"backend": "postgres"}}})
    ) == ("POSTGRES_PASSWORD",)


def test_parse_env_reads_quotes_exports_and_skips_comments() -> None:
    text = "# c\n\nexport A=1\nB='two words'\nC=\"3\"\nnot a line\nD=\n"
    assert parse_env(text) == {"A": "1", "B": "two words", "C": "3", "D": ""}
