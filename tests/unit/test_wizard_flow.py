"""The wizard's question flow, answered without a terminal."""

from __future__ import annotations

import pytest

from mycelium.config import MyceliumConfig
from mycelium.errors import ConfigError
from mycelium.wizard.facts import ServiceFacts, WizardContext
from mycelium.wizard.flow import build_config, next_command, next_question, summary_lines
from mycelium.wizard.questions import Answer, AnswerError, Kind
from mycelium.wizard.session import defaults_source, lines_source, run_flow


def facts(
    name: str,
    port: int,
    *,
    present: bool = False,
    taken: bool = False,
    proposal: int | None = None,
) -> ServiceFacts:
    return ServiceFacts(
        name=name,
        port=port,
        present=present,
        detected="running" if present else "not running",
        taken_by_other=taken,
        proposal=proposal,
    )


def context(
    *,
    base: MyceliumConfig | None = None,
    existing: bool = False,
    running: tuple[str, ...] = (),
    taken: dict[str, int] | None = None,
    docker: bool = True,
    details: bool = True,
) -> WizardContext:
    config = base or MyceliumConfig()
    taken = taken or {}
    services = config.services.network_services()
    return WizardContext(
        base=config,
        existing=existing,
        services=tuple(
            facts(
                name,
                services[name].port,
                present=name in running,
                taken=name in taken,
                proposal=taken.get(name),
            )
            for name in ("redis", "postgres", "temporal")
        ),
        docker_reachable=docker,
        docker_reason=None if docker else "no Docker socket found",
        ask_details=details,
        target="/home/me/.config/mycelium/config.yaml",
    )


def answer_all(ctx: WizardContext, given: dict[str, Answer]) -> dict[str, Answer]:
    """Drive the pure flow the way a user would, from a table of raw answers."""

    def source(question: object, _answers: object) -> Answer:
        key = question.key  # type: ignore[attr-defined]
        return given[key]

    return dict(run_flow(ctx, source).answers)


def test_the_first_question_is_the_services_with_running_ones_preselected() -> None:
    ctx = context(running=("redis",))
    question = next_question(ctx, {})
    assert question is not None
    assert question.key == "services"
    assert question.kind is Kind.CHECKBOX
    assert question.default == ("redis",)
    assert [c.value for c in question.choices] == ["redis", "postgres", "temporal"]


def test_nothing_running_preselects_the_schema_defaults() -> None:
    question = next_question(context(), {})
    assert question is not None
    assert question.default == ("redis", "postgres")


def test_the_questions_come_in_order_and_end_with_the_confirmation() -> None:
    ctx = context()
    answers: dict[str, Answer] = {}
    asked = []
    replies: dict[str, Answer] = {
        "services": ("redis", "postgres"),
        "port.redis": "6379",
        "port.postgres": "5432",
        "method": "justfile",
        "output_dir": "deploy",
        "confirm": True,
    }
    for _ in range(10):
        question = next_question(ctx, answers)
        if question is None:
            break
        asked.append(question.key)
        answers[question.key] = replies[question.key]
    assert asked == ["services", "port.redis", "port.postgres", "method", "output_dir", "confirm"]


def test_non_interactive_asks_only_services_method_and_confirmation() -> None:
    ctx = context(details=False)
    lines = iter(["redis\n", "postgres\n", "\n", "docker-compose\n", "y\n"])
    outcome = run_flow(ctx, lines_source(lines))
    assert outcome.confirmed
    config = outcome.config
    assert config.services.redis.enabled
    assert config.services.postgres.enabled
    assert not config.services.temporal.enabled
    assert config.deployment.method.value == "docker-compose"


def test_a_taken_port_proposes_a_free_one_as_the_default() -> None:
    ctx = context(taken={"redis": 6380})
    question = next_question(ctx, {"services": ("redis",)})
    assert question is not None
    assert question.key == "port.redis"
    assert question.default == "6380"
    assert question.instruction == "port 6379 is taken by something that is not redis; 6380 is free"


def test_docker_unreachable_is_said_next_to_docker_compose_and_justfile_is_proposed() -> None:
    ctx = context(docker=False, details=False)
    question = next_question(ctx, {"services": ("redis",)})
    assert question is not None
    assert question.key == "method"
    assert question.default == "justfile"
    compose = question.choices[0]
    assert compose.value == "docker-compose"
    assert compose.note == "Docker is not reachable: no Docker socket found"


def test_answers_become_a_valid_configuration() -> None:
    ctx = context()
    answers = answer_all(
        ctx,
        {
            "services": ("postgres", "temporal"),
            "port.postgres": "5433",
            "port.temporal": "7234",
            "method": "justfile",
            "output_dir": "ops/deploy",
            "confirm": True,
        },
    )
    config = build_config(ctx, answers)
    assert not config.services.redis.enabled
    assert config.services.postgres.port == 5433
    assert config.services.temporal.enabled
    assert config.services.temporal.port == 7234
    # The task queue followed its backend from redis to postgres.
    assert config.services.taskqueue.backend.value == "postgres"
    assert config.deployment.output_dir.as_posix() == "ops/deploy"


def test_rerunning_on_an_existing_config_changes_only_what_was_answered() -> None:
    base = MyceliumConfig.model_validate(
        {
            "project_name": "swarm",
            "services": {
                "redis": {"port": 6390, "password": "kept", "max_memory": "1gb"},
                "postgres": {"enabled": False},
                "taskqueue": {"workers": 9},
            },
            "deployment": {"method": "justfile", "output_dir": "infra"},
        }
    )
    ctx = context(base=base, existing=True, running=("postgres",), details=False)
    question = next_question(ctx, {})
    assert question is not None
    assert question.default == ("redis",)  # the saved choice, not what runs
    outcome = run_flow(ctx, defaults_source())
    config = outcome.config
    assert config.revealed() == base.revealed()


VALID_REPLIES: dict[str, Answer] = {
    "services": ("redis", "postgres"),
    "port.redis": "6379",
    "port.postgres": "5432",
    "method": "justfile",
    "output_dir": "deploy",
    "confirm": True,
}


@pytest.mark.parametrize(
    ("key", "given", "message"),
    [
        (
            "services",
            ("redis", "mongo"),
            (
                "question 'services' (Which services do you want?): 'mongo' is not a service; "
                "choose from redis, postgres, temporal"
            ),
        ),
        (
            "services",
            (),
            (
                "question 'services' (Which services do you want?): choose at least one of "
                "redis, postgres, temporal"
            ),
        ),
        (
            "port.redis",
            "70000",
            "question 'port.redis' (Port for redis?): 70000 is not a valid port; use 1–65535",
        ),
        (
            "port.redis",
            "six",
            "question 'port.redis' (Port for redis?): 'six' is not a port number; use 1–65535",
        ),
        (
            "port.redis",
            "5432",
            (
                "question 'port.redis' (Port for redis?): 5432 is already postgres's port; "
                "choose another"
            ),
        ),
        (
            "method",
            "helm",
            (
                "question 'method' (How do you want to run them?): 'helm' is not a choice; "
                "use one of docker-compose, justfile"
            ),
        ),
        (
            "confirm",
            "maybe",
            (
                "question 'confirm' (Save this configuration?): 'maybe' is not yes or no; "
                "answer y or n"
            ),
        ),
    ],
)
def test_an_invalid_answer_names_the_question(key: str, given: Answer, message: str) -> None:
    replies: dict[str, Answer] = {**VALID_REPLIES, key: given}
    with pytest.raises(AnswerError) as caught:
        answer_all(context(), replies)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("key", "given"),
    [
        ("services", ("x" * 10_000_000,)),
        ("port.redis", "7" * 4000),
        ("port.redis", "x" * 10_000_000),
        ("method", "x" * 10_000_000),
        ("confirm", "x" * 10_000_000),
    ],
)
def test_a_huge_answer_is_echoed_as_its_start_and_its_length(key: str, given: Answer) -> None:
    replies: dict[str, Answer] = {**VALID_REPLIES, key: given}
    with pytest.raises(AnswerError) as caught:
        answer_all(context(), replies)
    message = str(caught.value)
    assert len(message) < 300, message[:300]
    assert " characters)" in message


def test_the_end_of_input_names_the_missing_question() -> None:
    ctx = context(details=False)
    with pytest.raises(AnswerError) as caught:
        run_flow(ctx, lines_source(iter(["redis\n", "\n"])))
    assert str(caught.value).startswith(
        "question 'method' (How do you want to run them?): no answer: standard input ended"
    )


def test_blank_lines_take_the_defaults() -> None:
    ctx = context(running=("redis",), details=False)
    outcome = run_flow(ctx, lines_source(iter(["\n", "\n", "\n"])))
    assert outcome.confirmed
    assert outcome.answers["services"] == ("redis",)
    assert outcome.config.deployment.method.value == "docker-compose"


def test_flags_answer_their_questions_and_ports_apply_without_being_asked() -> None:
    ctx = context(details=False)
    outcome = run_flow(
        ctx,
        defaults_source(),
        presets={"services": "redis,temporal", "method": "justfile", "port.redis": "6400"},
    )
    assert outcome.config.services.redis.port == 6400
    assert outcome.config.services.temporal.enabled
    assert not outcome.config.services.postgres.enabled


def test_a_port_flag_for_a_service_not_chosen_is_an_error() -> None:
    with pytest.raises(AnswerError, match="postgres is not among the chosen services"):
        run_flow(
            context(details=False),
            defaults_source(),
            presets={"services": "redis", "port.postgres": "5433"},
        )


def test_declining_the_confirmation_is_reported() -> None:
    outcome = run_flow(context(details=False), lines_source(iter(["\n", "\n", "n\n"])))
    assert not outcome.confirmed


def test_the_summary_shows_what_will_be_saved() -> None:
    ctx = context(running=("redis",), docker=False, details=False)
    outcome = run_flow(ctx, defaults_source(), presets={"method": "docker-compose"})
    assert summary_lines(ctx, outcome.config) == [
        "Configuration for /home/me/.config/mycelium/config.yaml:",
        "  redis     127.0.0.1:6379  (already running)",
        "  taskqueue mycelium-tasks on redis",
        "  method    docker-compose",
        "  files in  mycelium-deploy/",
        "  note: Docker is not reachable: no Docker socket found",
        "        start it before `docker compose up`",
    ]
    assert next_command(outcome.config) == (
        "mycelium-generate   (writes docker-compose.yml and .env into mycelium-deploy/)"
    )


def test_an_impossible_combination_is_a_config_error() -> None:
    # Temporal's UI port is not asked; a temporal port equal to it cannot be saved.
    ctx = context()
    with pytest.raises(ConfigError, match="both use port 8233"):
        build_config(ctx, {"services": ("temporal",), "port.temporal": "8233"})
