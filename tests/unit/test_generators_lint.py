"""The Compose security lint: each insecure setting named, with its line and its fix."""

from __future__ import annotations

import pytest

from mycelium.config import MyceliumConfig
from mycelium.errors import UserError
from mycelium.generators import DockerComposeGenerator
from mycelium.generators.lint import Rule, lint_compose

INSECURE = """\
services:
  web:
    image: nginx
    privileged: true
    ports:
      - "8080:80"
      - "127.0.0.1:9000:9000"
      - "0.0.0.0:9001:9001"
      - target: 53
        published: 5353
    environment:
      DB_PASSWORD: hunter2
      API_TOKEN: ${API_TOKEN}
      FALLBACK_PASSWORD: ${FALLBACK_PASSWORD:-changeme}
      PASSWORD_FILE: /run/secrets/db
  cache:
    image: redis:7
    command: redis-server --requirepass s3cret
    environment:
      - REDIS_PASSWORD=plain
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
"""

EXPECTED_REPORT = """\
compose.yml:2: web: has no healthcheck; add one so that depends_on can wait until it is ready [missing-healthcheck]
compose.yml:3: web: image 'nginx' is not pinned to an exact version; name one (redis:7.4.1) or a digest (@sha256:...) [unpinned-image]
compose.yml:4: web: runs privileged (privileged: true); remove it and grant only the capabilities it needs with cap_add [privileged]
compose.yml:6: web: port '8080:80' is published on all interfaces; bind it to one address ("127.0.0.1:HOST:CONTAINER", or host_ip: 127.0.0.1) [ports-on-all-interfaces]
compose.yml:8: web: port '0.0.0.0:9001:9001' is published on all interfaces; bind it to one address ("127.0.0.1:HOST:CONTAINER", or host_ip: 127.0.0.1) [ports-on-all-interfaces]
compose.yml:9: web: port '5353:53' is published on all interfaces; bind it to one address ("127.0.0.1:HOST:CONTAINER", or host_ip: 127.0.0.1) [ports-on-all-interfaces]
compose.yml:12: web: DB_PASSWORD is set to a literal password; read it from .env instead (DB_PASSWORD: ${DB_PASSWORD}) [literal-password]
compose.yml:14: web: FALLBACK_PASSWORD is set to a literal password; read it from .env instead (FALLBACK_PASSWORD: ${FALLBACK_PASSWORD}) [literal-password]
compose.yml:17: cache: image 'redis:7' is not pinned to an exact version; name one (redis:7.4.1) or a digest (@sha256:...) [unpinned-image]
compose.yml:18: cache: command passes a literal password to --requirepass; read it from an environment variable set from .env [literal-password]
compose.yml:20: cache: REDIS_PASSWORD is set to a literal password; read it from .env instead (REDIS_PASSWORD: ${REDIS_PASSWORD}) [literal-password]"""  # noqa: E501 - one finding per line, as printed


def test_each_insecure_setting_is_named_with_its_line_and_fix() -> None:
    report = "\n".join(finding.format() for finding in lint_compose(INSECURE, "compose.yml"))
    assert report == EXPECTED_REPORT


def test_no_message_repeats_a_password() -> None:
    text = " ".join(f.message for f in lint_compose(INSECURE))
    for secret in ("hunter2", "changeme", "s3cret", "plain"):
        assert secret not in text


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"services": {"temporal": {"enabled": True}}},
        {"services": {"redis": {"port": 16379}, "postgres": {"enabled": False}}},
        {"deployment": {"bind_address": "::1"}},
    ],
)
def test_the_generated_file_has_no_insecure_setting(config: dict[str, object]) -> None:
    text = DockerComposeGenerator().render(MyceliumConfig.model_validate(config))
    assert lint_compose(text) == ()


def test_publishing_on_all_interfaces_by_configuration_is_reported() -> None:
    config = MyceliumConfig.model_validate({"deployment": {"bind_address": "0.0.0.0"}})
    findings = lint_compose(DockerComposeGenerator().render(config))
    assert [(f.service, f.rule) for f in findings] == [
        ("redis", Rule.PORTS),
        ("postgres", Rule.PORTS),
    ]


def test_pinned_digests_variables_and_exact_tags_pass() -> None:
    text = """\
services:
  a:
    image: redis@sha256:0123
    healthcheck: {test: ["CMD", "true"]}
  b:
    image: ${IMAGE}
    healthcheck: {test: ["CMD", "true"]}
  c:
    image: ghcr.io/org/app:v1.2.3
    healthcheck: {test: ["CMD", "true"]}
    ports: ["${BIND}:80:80", {target: 80, published: 8080, host_ip: 127.0.0.1}]
"""
    assert lint_compose(text) == ()


def test_a_disabled_healthcheck_counts_as_missing() -> None:
    text = "services:\n  a:\n    image: a:1.0\n    healthcheck:\n      disable: true\n"
    assert [f.rule for f in lint_compose(text)] == [Rule.HEALTHCHECK]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services: [\n",
            "compose.yml:2: not valid YAML: expected the node content, but found '<stream end>'",
        ),
        ("just: text\n", "compose.yml: not a Compose file: it has no 'services' mapping"),
        ("", "compose.yml: not a Compose file: it has no 'services' mapping"),
    ],
)
def test_a_file_that_is_not_compose_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        lint_compose(text, "compose.yml")
    assert str(caught.value) == message


def test_a_bind_mount_of_a_host_path_is_named() -> None:
    text = (
        "services:\n  a:\n    image: alpine:3.20\n    healthcheck: {test: [CMD, 'true']}\n"
        "    volumes:\n      - data:/data\n      - /:/host\n"
        "      - {type: bind, source: ~/.ssh, target: /ssh}\n"
    )
    found = [(f.line, f.rule, f.message) for f in lint_compose(text)]
    assert found == [
        (
            7,
            Rule.HOST_MOUNT,
            (
                "mounts the host path '/' into the container; use a named volume, or mount "
                "only the directory it needs, read-only"
            ),
        ),
        (
            8,
            Rule.HOST_MOUNT,
            (
                "mounts the host path '~/.ssh' into the container; use a named volume, or "
                "mount only the directory it needs, read-only"
            ),
        ),
    ]


def test_what_the_configuration_does_not_generate_is_named() -> None:
    expected = DockerComposeGenerator().render(MyceliumConfig())
    injected = expected.replace(
        "services:\n",
        "services:\n  evil:\n    image: alpine:3.20\n    healthcheck: {test: [CMD, 'true']}\n",
    ).replace("      - redis-data:/data\n", "      - redis-data:/data\n      - /:/host\n")
    injected += "x-extra: 1\n"
    found = [
        (f.service, f.rule, f.message)
        for f in lint_compose(injected, expected=expected)
        if f.rule is Rule.UNEXPECTED
    ]
    fix = "is not in what the configuration generates; remove it, or run mycelium-generate"
    assert found == [
        ("evil", Rule.UNEXPECTED, f"services.evil {fix} --force to write the file again"),
        (
            "redis",
            Rule.UNEXPECTED,
            f"services.redis.volumes[1] {fix} --force to write the file again",
        ),
        ("x-extra", Rule.UNEXPECTED, f"x-extra {fix} --force to write the file again"),
    ]
    assert lint_compose(expected, expected=expected) == ()
