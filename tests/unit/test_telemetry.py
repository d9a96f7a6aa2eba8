"""The telemetry client: consent precedence, the schema, what an event can never hold."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mycelium.telemetry import client, hook
from mycelium.telemetry.consent import CI_VARIABLES, Source, decide
from mycelium.telemetry.schema import (
    ALLOWLISTS,
    Event,
    EventName,
    Operation,
    described_fields,
    privacy_table,
)
from mycelium.telemetry.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
SESSION = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def good(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "event": "deployment_generated",
        "mycelium_version": "0.1.0",
        "os_family": "linux",
        "python": "3.12",
        "method": "justfile",
        "session": SESSION,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- consent ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "configured", "enabled", "source"),
    [
        ({}, None, False, Source.DEFAULT),
        ({}, True, True, Source.CONFIGURATION),
        ({}, False, False, Source.CONFIGURATION),
        ({"MYCELIUM_TELEMETRY": "1"}, None, True, Source.ENVIRONMENT),
        ({"MYCELIUM_TELEMETRY": "true"}, False, True, Source.ENVIRONMENT),
        ({"MYCELIUM_TELEMETRY": "0"}, True, False, Source.ENVIRONMENT),
        ({"MYCELIUM_TELEMETRY": "yes please"}, True, False, Source.ENVIRONMENT),
        ({"DO_NOT_TRACK": "1"}, True, False, Source.DO_NOT_TRACK),
        ({"DO_NOT_TRACK": "1", "MYCELIUM_TELEMETRY": "1"}, True, False, Source.DO_NOT_TRACK),
        ({"DO_NOT_TRACK": "0"}, True, True, Source.CONFIGURATION),
        ({"CI": "true"}, True, False, Source.CI),
        ({"GITHUB_ACTIONS": "true"}, True, False, Source.CI),
        ({"CI": "true", "MYCELIUM_TELEMETRY": "1"}, None, True, Source.ENVIRONMENT),
        ({"CI": "false"}, True, True, Source.CONFIGURATION),
    ],
)
def test_consent_follows_the_precedence(
    environ: dict[str, str], configured: bool | None, enabled: bool, source: Source
) -> None:
    consent = decide(environ, configured)
    assert (consent.enabled, consent.source) == (enabled, source)


def test_a_typo_in_the_variable_never_opts_in_and_says_how() -> None:
    consent = decide({"MYCELIUM_TELEMETRY": "ture"}, None)
    assert not consent.enabled
    assert "set MYCELIUM_TELEMETRY=1 to opt in" in consent.detail


def test_a_project_file_cannot_opt_the_user_in(tmp_path: Path) -> None:
    (Path.cwd() / "mycelium.yaml").write_text("telemetry:\n  enabled: true\n", encoding="utf-8")
    state = load_settings({"XDG_STATE_HOME": str(tmp_path)})
    assert not state.consent.enabled
    assert state.consent.source is Source.DEFAULT


def test_the_users_own_file_opts_in_and_sets_the_endpoint(isolated_home: Path) -> None:
    config = isolated_home / ".config" / "mycelium" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "telemetry:\n  enabled: true\n  endpoint: https://telemetry.example.org/v1/events\n",
        encoding="utf-8",
    )
    state = load_settings()
    assert state.consent.enabled
    assert state.consent.source is Source.CONFIGURATION
    assert (state.endpoint, state.endpoint_source) == (
        "https://telemetry.example.org/v1/events",
        "configuration",
    )


def test_an_unreadable_configuration_means_not_opted_in(isolated_home: Path) -> None:
    config = isolated_home / ".config" / "mycelium" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("telemetry: [\n", encoding="utf-8")
    state = load_settings()
    assert not state.consent.enabled
    assert state.problem is not None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://telemetry.example.org/v1/events",
        "http://telemetry.example.org/v1/events",
        "https://user:secret@telemetry.example.org/v1/events",
        "https://telemetry.example.org/v1/events?id=me",
        "https://telemetry.example.org/v1/events\n",
        "https:///v1/events",
    ],
)
def test_an_endpoint_must_be_https_or_loopback_http(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYCELIUM_TELEMETRY_URL", url)
    state = load_settings()
    assert state.endpoint is None
    assert state.endpoint_source.startswith("MYCELIUM_TELEMETRY_URL ignored: ")


def test_a_bad_endpoint_in_the_configuration_is_one_line_naming_the_field(
    isolated_home: Path,
) -> None:
    from mycelium.config import ConfigStore
    from mycelium.config.paths import ConfigLocation
    from mycelium.config.paths import Source as ConfigSource
    from mycelium.errors import ConfigError

    path = isolated_home / "config.yaml"
    path.write_text("telemetry:\n  endpoint: http://example.org/x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        ConfigStore(ConfigLocation(path, ConfigSource.OPTION)).load()
    assert "telemetry.endpoint" in str(caught.value)
    assert "plain http is allowed to this machine only" in str(caught.value)


# --- the schema ---------------------------------------------------------------------------


def test_a_valid_event_is_the_exact_bytes_sent() -> None:
    event = Event.model_validate(good())
    assert event.to_bytes() == (
        b'{"event":"deployment_generated","method":"justfile","mycelium_version":"0.1.0",'
        b'"os_family":"linux","python":"3.12","session":"0123456789abcdef0123456789abcdef"}'
    )
    assert Event.from_bytes(event.to_bytes()) == event


@pytest.mark.parametrize(
    "data",
    [
        good(hostname="build-box"),
        good(user="alice"),
        good(path="/home/alice/project"),
        good(ip="10.0.0.7"),
        good(mycelium_version="0.1.0+alice.laptop"),
        good(mycelium_version="/home/alice"),
        good(os_family="ubuntu-alice-laptop"),
        good(python="3.12.1 (alice)"),
        good(session="alice@laptop"),
        good(session="0123456789ABCDEF0123456789ABCDEF"),
        good(method="kubernetes"),
        good(event="page_view"),
        good(event="error", method=None),
        good(event="wizard_completed", operation="generate"),
        good(event="installation", method="justfile"),
    ],
)
def test_the_schema_refuses_anything_else(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Event.from_bytes(json.dumps(data).encode())


_SHAPES = {
    "mycelium_version": set(string.digits + ".abrcpostdev"),
    "python": set(string.digits + "."),
    "session": set("0123456789abcdef"),
}


@settings(max_examples=300)
@given(field=st.sampled_from(sorted(_SHAPES)), value=st.text(max_size=80))
def test_no_free_string_survives_the_schema(field: str, value: str) -> None:
    try:
        event = Event.model_validate(good(**{field: value}))
    except ValidationError:
        return
    # What passes is a version, a Python minor or hex: no path, host, user or address.
    assert set(getattr(event, field)) <= _SHAPES[field]
    assert len(getattr(event, field)) <= 32


_HOSTILE = st.text(
    # What a configuration can hold: printable text (control characters are refused there).
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"), min_codepoint=33
    ),
    min_size=6,
    max_size=30,
).filter(lambda s: s.strip() == s and "/" not in s and "\\" not in s and s not in {".", ".."})


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    secret=_HOSTILE,
    host=st.from_regex(r"[a-z][a-z0-9]{5,20}\.example\.org", fullmatch=True),
)
def test_no_string_from_a_config_path_or_host_reaches_an_event(
    secret: str, host: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever a user names their files, project, hosts and directories, the events are
    byte for byte those of a plain setup (but for the random session)."""
    base = tmp_path_factory.mktemp("hostile")
    project = "zz" + "".join(c for c in secret.lower() if c.isascii() and c.isalnum())[:20]
    hostile = _events_for(base / secret, project, host, secret)
    plain = _events_for(base / "plain", "mycelium", "127.0.0.1", "deploy")
    assert hostile == plain  # so none of the user's strings is in them
    assert host not in hostile


def _events_for(home: Path, project: str, host: str, output_dir: str) -> str:
    home.mkdir()
    config = home / "config.yaml"
    config.write_text(
        f"project_name: {project}\n"
        f"services:\n  redis:\n    host: {host}\n  postgres:\n    host: {host}\n"
        f"deployment:\n  output_dir: {json.dumps(output_dir, ensure_ascii=False)}\n",
        encoding="utf-8",
    )
    environ = {
        "MYCELIUM_TELEMETRY": "1",
        "MYCELIUM_CONFIG": str(config),
        "XDG_STATE_HOME": str(home / "state"),
    }
    from mycelium.config import ConfigStore
    from mycelium.config.paths import ConfigLocation
    from mycelium.config.paths import Source as ConfigSource

    ConfigStore(ConfigLocation(config, ConfigSource.OPTION)).load()  # a valid configuration
    queued = _run_hook(environ, "mycelium-generate", 0, "deployment_generated", config)
    queued += _run_hook(environ, "mycelium-generate", 1, None, config)
    assert queued.count("\n") == 3
    return queued.replace(client.SESSION, "SESSION")


def _run_hook(
    environ: dict[str, str], prog: str, code: int, event: str | None, config: Path
) -> str:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environ.items():
            patch.setenv(key, value)
        patch.setattr(client, "spawn_sender", lambda _settings: 0)
        hook.after_command(prog=prog, code=code, event=event, config=config)
    queue = Path(environ["XDG_STATE_HOME"]) / "mycelium" / "telemetry" / "queue.jsonl"
    text = queue.read_text(encoding="ascii") if queue.exists() else ""
    queue.unlink(missing_ok=True)
    return text


# --- the hook -----------------------------------------------------------------------------


@pytest.fixture
def opted_in(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MYCELIUM_TELEMETRY", "1")
    spawned: list[object] = []
    monkeypatch.setattr(client, "spawn_sender", spawned.append)
    return isolated_home / ".local" / "state" / "mycelium" / "telemetry" / "queue.jsonl"


def _events(queue: Path) -> list[dict[str, str]]:
    return [json.loads(line)["event"] for line in queue.read_text(encoding="ascii").splitlines()]


def test_a_failure_is_an_error_of_its_operation_and_installation_comes_once(
    opted_in: Path,
) -> None:
    hook.after_command(prog="mycelium-generate", code=1, event="deployment_generated")
    hook.after_command(prog="mycelium-test", code=0, event="coordination_test_run")
    events = _events(opted_in)
    assert [(e["event"], e.get("operation")) for e in events] == [
        ("installation", None),
        ("error", "generate"),
        ("coordination_test_run", None),
    ]


def test_usage_errors_interrupts_and_test_hosts_send_nothing(opted_in: Path) -> None:
    hook.after_command(prog="mycelium-generate", code=2, event="deployment_generated")
    hook.after_command(prog="mycelium-generate", code=130, event="deployment_generated")
    hook.after_command(prog="mycelium-qa", code=1, event=None)
    assert [e["event"] for e in _events(opted_in)] == ["installation"]


def test_nothing_is_queued_without_consent(isolated_home: Path) -> None:
    hook.after_command(prog="mycelium-generate", code=1, event=None)
    assert not (isolated_home / ".local" / "state" / "mycelium").exists()


@pytest.mark.usefixtures("opted_in")
def test_the_hook_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(client, "submit", broken)
    hook.after_command(prog="mycelium-generate", code=0, event="deployment_generated")


def test_a_full_queue_drops_new_events(opted_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "MAX_QUEUE_BYTES", 10)
    hook.after_command(prog="mycelium-test", code=0, event="coordination_test_run")
    assert opted_in.read_bytes() == b""


def test_the_hooks_operations_are_the_schemas() -> None:
    assert {op.value for op in Operation} == hook._OPERATIONS


# --- one source -------------------------------------------------------------------------


def test_privacy_md_lists_exactly_the_schema() -> None:
    text = (ROOT / "docs" / "PRIVACY.md").read_text(encoding="utf-8")
    assert privacy_table() in text
    assert described_fields() == tuple(Event.model_fields)


def test_the_collectors_label_values_are_the_schemas_allowlists() -> None:
    from mycelium.telemetry.collector.metrics import Metrics

    metrics = Metrics()
    labels: dict[str, set[str]] = {}
    for family in metrics.registry.collect():
        for sample in family.samples:
            for key, value in sample.labels.items():
                labels.setdefault(key, set()).add(value)
    assert labels.pop("reason") == {"malformed", "off_schema", "oversized", "rate_limited"}
    assert labels == {key: {*values, "other"} for key, values in ALLOWLISTS.items()}
    assert ALLOWLISTS["event"] == tuple(e.value for e in EventName)
