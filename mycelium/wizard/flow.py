"""The question flow: a pure function from the answers so far to the next question, and
from all the answers to a ``MyceliumConfig``.

Order: services, then (interactive) each chosen service's port, the deployment method,
(interactive) the output directory, and the confirmation. Every default comes from the
saved configuration when there is one, so running the wizard again changes only what the
user changes; on a fresh machine the defaults come from detection.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Final

from mycelium.config.loader import validate_data
from mycelium.config.models import DeploymentMethod, MyceliumConfig, TaskQueueBackend
from mycelium.redaction import quoted, truncate
from mycelium.wizard.questions import SERVICES, Answer, AnswerError, Choice, Kind, Question

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mycelium.wizard.facts import WizardContext

SERVICES_KEY: Final = "services"
METHOD_KEY: Final = "method"
OUTPUT_KEY: Final = "output_dir"
CONFIRM_KEY: Final = "confirm"
PORT_PREFIX: Final = "port."
TITLES: Final = {
    "redis": "Redis — pub/sub, task queue, barriers",
    "postgres": "PostgreSQL — durable state, task queue backend",
    "temporal": "Temporal — durable workflows",
}
METHOD_TITLES: Final = {
    "docker-compose": "docker-compose — run the services in containers",
    "justfile": "justfile — run them natively, with just",
}


# --- defaults --------------------------------------------------------------------------


def default_services(ctx: WizardContext) -> tuple[str, ...]:
    """The saved choice; on a fresh machine, what already runs (else the schema's defaults)."""
    services = ctx.base.services.network_services()
    configured = tuple(name for name in SERVICES if services[name].enabled)
    if ctx.existing:
        return configured
    running = tuple(f.name for f in ctx.services if f.present)
    return running or configured


def default_port(ctx: WizardContext, name: str) -> int:
    facts = ctx.facts(name)
    if not ctx.existing and facts.taken_by_other and facts.proposal is not None:
        return facts.proposal
    return facts.port


def default_method(ctx: WizardContext) -> str:
    if ctx.existing or ctx.docker_reachable:
        return ctx.base.deployment.method.value
    return DeploymentMethod.JUSTFILE.value


# --- the flow --------------------------------------------------------------------------


def questions(ctx: WizardContext, answers: Mapping[str, Answer]) -> list[Question]:
    """Every question the current answers lead to, in order."""
    asked = [services_question(ctx)]
    chosen = answers.get(SERVICES_KEY)
    if ctx.ask_details and isinstance(chosen, tuple):
        asked.extend(port_question(ctx, name) for name in chosen)
    asked.append(method_question(ctx))
    if ctx.ask_details:
        asked.append(output_question(ctx))
    asked.append(confirm_question())
    return asked


def next_question(ctx: WizardContext, answers: Mapping[str, Answer]) -> Question | None:
    """The first question without an answer; ``None`` when the wizard is done."""
    for question in questions(ctx, answers):
        if question.key not in answers:
            return question
    return None


def services_question(ctx: WizardContext) -> Question:
    choices = tuple(Choice(name, TITLES[name], note=ctx.facts(name).detected) for name in SERVICES)
    return Question(
        key=SERVICES_KEY,
        kind=Kind.CHECKBOX,
        message="Which services do you want?",
        default=default_services(ctx),
        choices=choices,
        instruction="space to select, enter to confirm",
    )


def port_question(ctx: WizardContext, name: str) -> Question:
    facts = ctx.facts(name)
    instruction = None
    if facts.taken_by_other:
        instruction = f"port {facts.port} is taken by something that is not {name}"
        if facts.proposal is not None:
            instruction += f"; {facts.proposal} is free"
    return Question(
        key=PORT_PREFIX + name,
        kind=Kind.TEXT,
        message=f"Port for {name}?",
        default=str(default_port(ctx, name)),
        instruction=instruction,
    )


def method_question(ctx: WizardContext) -> Question:
    compose_note = None
    if not ctx.docker_reachable:
        compose_note = f"Docker is not reachable: {ctx.docker_reason}"
    choices = (
        Choice("docker-compose", METHOD_TITLES["docker-compose"], note=compose_note),
        Choice("justfile", METHOD_TITLES["justfile"]),
    )
    return Question(
        key=METHOD_KEY,
        kind=Kind.SELECT,
        message="How do you want to run them?",
        default=default_method(ctx),
        choices=choices,
    )


def output_question(ctx: WizardContext) -> Question:
    return Question(
        key=OUTPUT_KEY,
        kind=Kind.TEXT,
        message="Where should the deployment files go?",
        default=ctx.base.deployment.output_dir.as_posix(),
    )


def confirm_question() -> Question:
    return Question(
        key=CONFIRM_KEY, kind=Kind.CONFIRM, message="Save this configuration?", default=True
    )


# --- answers ---------------------------------------------------------------------------

YES: Final = frozenset({"y", "yes", "true", "1"})
NO: Final = frozenset({"n", "no", "false", "0"})


def check(
    ctx: WizardContext, answers: Mapping[str, Answer], question: Question, value: Answer
) -> Answer:
    """The answer in its canonical form, or ``AnswerError`` naming the question."""
    if question.kind is Kind.CHECKBOX:
        return _check_services(question, value)
    if question.kind is Kind.SELECT:
        text = str(value).strip()
        if text not in question.choice_values():
            raise AnswerError(
                question,
                f"{quoted(text)} is not a choice; use one of {', '.join(question.choice_values())}",
            )
        return text
    if question.kind is Kind.CONFIRM:
        return _check_confirm(question, value)
    if question.key.startswith(PORT_PREFIX):
        return str(_check_port(ctx, answers, question, str(value)))
    return _check_output_dir(question, str(value))


def _check_services(question: Question, value: Answer) -> tuple[str, ...]:
    raw = value.split(",") if isinstance(value, str) else value
    if isinstance(raw, bool):
        raise AnswerError(question, "expected service names")
    names = [name.strip().lower() for name in raw if name.strip()]
    unknown = [name for name in names if name not in SERVICES]
    if unknown:
        raise AnswerError(
            question, f"{quoted(unknown[0])} is not a service; choose from {', '.join(SERVICES)}"
        )
    if not names:
        raise AnswerError(question, f"choose at least one of {', '.join(SERVICES)}")
    return tuple(name for name in SERVICES if name in names)  # canonical order, no repeats


def _check_confirm(question: Question, value: Answer) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise AnswerError(question, f"{quoted(str(value))} is not yes or no; answer y or n")


def _check_port(
    ctx: WizardContext, answers: Mapping[str, Answer], question: Question, text: str
) -> int:
    try:
        port = int(text.strip())
    except ValueError:
        raise AnswerError(
            question, f"{quoted(text.strip())} is not a port number; use 1–65535"
        ) from None
    if not 1 <= port <= 65535:  # noqa: PLR2004 - the TCP port range
        raise AnswerError(question, f"{truncate(text.strip())} is not a valid port; use 1–65535")
    name = question.key.removeprefix(PORT_PREFIX)
    chosen = chosen_ports(ctx, answers)
    for other, other_port in chosen.items():
        if other != name and other_port == port:
            raise AnswerError(question, f"{port} is already {other}'s port; choose another")
    if "temporal" in chosen and port == ctx.base.services.temporal.ui_port:
        raise AnswerError(question, f"{port} is Temporal's web UI port; choose another")
    return port


def _check_output_dir(question: Question, text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise AnswerError(question, "give a directory, for example mycelium-deploy")
    if "\0" in cleaned:
        raise AnswerError(question, "a path cannot contain a NUL character")
    return PurePath(cleaned).as_posix()


def chosen_ports(ctx: WizardContext, answers: Mapping[str, Answer]) -> dict[str, int]:
    """Each chosen service's port: the answer, else the default."""
    chosen = answers.get(SERVICES_KEY, default_services(ctx))
    names: Sequence[str] = chosen if isinstance(chosen, tuple) else ()
    ports: dict[str, int] = {}
    for name in names:
        raw = answers.get(PORT_PREFIX + name)
        ports[name] = int(raw) if isinstance(raw, str) else default_port(ctx, name)
    return ports


# --- the result ------------------------------------------------------------------------


def build_config(ctx: WizardContext, answers: Mapping[str, Answer]) -> MyceliumConfig:
    """The configuration the answers describe, starting from ``ctx.base``.

    Raises ``ConfigError`` (from validation) when the combination is impossible.
    """
    data = ctx.base.revealed()
    services = data["services"]
    deployment = data["deployment"]
    assert isinstance(services, dict)  # noqa: S101 - revealed() returns the model's shape
    assert isinstance(deployment, dict)  # noqa: S101
    chosen = chosen_ports(ctx, answers)
    for name in SERVICES:
        services[name]["enabled"] = name in chosen
        if name in chosen:
            services[name]["port"] = chosen[name]
    queue = services["taskqueue"]
    if queue["enabled"] and queue["backend"] not in chosen:
        # The queue follows the services: another backend if there is one, else off.
        backends = [b.value for b in TaskQueueBackend if b.value in chosen]
        if backends:
            queue["backend"] = backends[0]
        else:
            queue["enabled"] = False
    deployment["method"] = str(answers.get(METHOD_KEY, default_method(ctx)))
    deployment["output_dir"] = str(
        answers.get(OUTPUT_KEY, ctx.base.deployment.output_dir.as_posix())
    )
    return validate_data(data, "the wizard's answers")


def summary_lines(ctx: WizardContext, config: MyceliumConfig) -> list[str]:
    """What will be saved, for people, before the confirmation."""
    lines = [f"Configuration{f' for {ctx.target}' if ctx.target else ''}:"]
    for name, service in config.services.network_services().items():
        if not service.enabled:
            continue
        facts = ctx.facts(name)
        state = "already running" if facts.present and service.port == facts.port else "new"
        lines.append(f"  {name:<9} {service.host}:{service.port}  ({state})")
    queue = config.services.taskqueue
    if queue.enabled:
        lines.append(f"  taskqueue {queue.queue} on {queue.backend.value}")
    deployment = config.deployment
    lines.append(f"  method    {deployment.method.value}")
    lines.append(f"  files in  {deployment.output_dir.as_posix()}/")
    if deployment.method is DeploymentMethod.DOCKER_COMPOSE and not ctx.docker_reachable:
        lines.append(f"  note: Docker is not reachable: {ctx.docker_reason}")
        lines.append("        start it before `docker compose up`")
    return lines


def next_command(config: MyceliumConfig) -> str:
    """What to run once the configuration is saved, and what it will do."""
    out = config.deployment.output_dir.as_posix()
    files = (
        "docker-compose.yml"
        if config.deployment.method is DeploymentMethod.DOCKER_COMPOSE
        else "a Justfile"
    )
    return f"mycelium-generate   (writes {files} and .env into {out}/)"
