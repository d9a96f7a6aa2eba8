"""The benchmarked operations, each with the ground truth it needs.

An operation is prepared against the run's :class:`~mycelium.bench.ground.Ground` into what
:mod:`mycelium.bench.run` times: an in-process ``Call``, a whole ``Process``, or a
coordination ``Throughput`` run. Names are the keys of ``mycelium.bench.targets.TARGETS``
where the targets table has a row (``cli_help_*`` share the ``cli_help`` row).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mycelium.bench.ground import Ground
    from mycelium.config import MyceliumConfig

Kind = Literal["call", "process", "throughput"]


@dataclass(frozen=True)
class Call:
    func: Callable[[], object]


@dataclass(frozen=True)
class Process:
    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str


@dataclass(frozen=True)
class Throughput:
    pattern: Literal["pubsub", "taskqueue", "barrier"]
    redis_url: str


Prepared = Call | Process | Throughput


@dataclass(frozen=True)
class BenchOperation:
    name: str
    label: str
    kind: Kind
    prepare: Callable[[Ground], Prepared]
    profile: bool = True  # False: its time is a timeout's, a profile would show only waiting


# --- in-process ---------------------------------------------------------------------------


def _config() -> MyceliumConfig:
    from mycelium.config import MyceliumConfig  # noqa: PLC0415

    return MyceliumConfig.model_validate(
        {"services": {"postgres": {"enabled": True}, "temporal": {"enabled": True}}}
    )


def _docker(ground: Ground) -> Prepared:
    from mycelium.detection import InfraDetector  # noqa: PLC0415

    detector = InfraDetector(environ=ground.outside_env, home=ground.outside_home)
    return Call(detector.detect_docker)


def _redis(ground: Ground) -> Prepared:
    from mycelium.detection.redis import probe_redis  # noqa: PLC0415

    port = ground.redis_port()
    return Call(lambda: probe_redis(port))


def _redis_refused(ground: Ground) -> Prepared:
    from mycelium.detection.redis import probe_redis  # noqa: PLC0415

    port = ground.closed_port()
    return Call(lambda: probe_redis(port))


def _postgres(ground: Ground) -> Prepared:
    from mycelium.detection.postgres import probe_postgres  # noqa: PLC0415

    server = ground.postgres()
    return Call(lambda: probe_postgres(server.port, user=server.user))


def _temporal_refused(ground: Ground) -> Prepared:
    from mycelium.detection.temporal import probe_temporal  # noqa: PLC0415

    port = ground.closed_port()
    return Call(lambda: probe_temporal(port))


def _temporal_silent(ground: Ground) -> Prepared:
    from mycelium.detection.temporal import probe_temporal  # noqa: PLC0415

    port = ground.silent_port()
    return Call(lambda: probe_temporal(port))


def _detector(ground: Ground) -> object:
    from mycelium.bench.ground import OperationSkippedError  # noqa: PLC0415
    from mycelium.detection import InfraDetector, Targets  # noqa: PLC0415

    def port_or_closed(find: Callable[[], int]) -> int:
        try:
            return find()
        except OperationSkippedError:
            return ground.closed_port()  # still a full probe: the refusal path

    targets = Targets(
        redis_port=port_or_closed(ground.redis_port),
        postgres_port=port_or_closed(lambda: ground.postgres().port),
        temporal_port=ground.closed_port(),
    )
    return InfraDetector(targets, environ=ground.outside_env, home=ground.outside_home)


def _full_scan(ground: Ground) -> Prepared:
    from mycelium.detection import InfraDetector  # noqa: PLC0415

    detector = _detector(ground)
    assert isinstance(detector, InfraDetector)  # noqa: S101 - typed for mypy
    return Call(lambda: detector.scan_all(refresh=True))


def _full_scan_cached(ground: Ground) -> Prepared:
    from mycelium.detection import InfraDetector  # noqa: PLC0415

    detector = _detector(ground)
    assert isinstance(detector, InfraDetector)  # noqa: S101 - typed for mypy
    detector.scan_all()
    return Call(detector.scan_all)


def _validation(_ground: Ground) -> Prepared:
    from mycelium.config import MyceliumConfig  # noqa: PLC0415

    data = _config().revealed()
    return Call(lambda: MyceliumConfig.model_validate(data))


def _saved_config(ground: Ground) -> os.PathLike[str]:
    from mycelium.config import ConfigStore  # noqa: PLC0415
    from mycelium.config.paths import ConfigLocation, Source  # noqa: PLC0415

    path = ground.scratch("config") / "config.yaml"
    ConfigStore(ConfigLocation(path, Source.OPTION)).save(_config())
    return path


def _loading(ground: Ground) -> Prepared:
    from pathlib import Path  # noqa: PLC0415

    from mycelium.config import ConfigStore  # noqa: PLC0415
    from mycelium.config.paths import ConfigLocation, Source  # noqa: PLC0415

    store = ConfigStore(ConfigLocation(Path(_saved_config(ground)), Source.OPTION))
    return Call(store.load)


def _compose(_ground: Ground) -> Prepared:
    from mycelium.generators import DockerComposeGenerator  # noqa: PLC0415

    config, generator = _config(), DockerComposeGenerator()
    return Call(lambda: generator.render(config))


def _justfile(_ground: Ground) -> Prepared:
    from mycelium.generators import JustfileGenerator  # noqa: PLC0415

    config, generator = _config(), JustfileGenerator()
    return Call(lambda: generator.render(config))


def _envfile(_ground: Ground) -> Prepared:
    from mycelium.generators import SecretsGenerator  # noqa: PLC0415

    config, generator = _config(), SecretsGenerator()
    return Call(lambda: generator.render(config))


def _telemetry_cost(ground: Ground) -> Prepared:
    """What an opted-in command pays after its work when the collector never answers.

    The real hook, as the console scripts call it: consent, the event, the queue, the
    check for a running sender and, when none runs, the detached spawn. The queue is emptied
    after each call so that every call queues as a command would; one sender at a time
    waits on the silent listener, as it would for a user.
    """
    from mycelium.telemetry.hook import after_command  # noqa: PLC0415
    from mycelium.telemetry.settings import state_dir  # noqa: PLC0415

    url = f"http://127.0.0.1:{ground.silent_port()}/v1/events"
    env = {"MYCELIUM_TELEMETRY": "1", "MYCELIUM_TELEMETRY_URL": url}
    queue = state_dir(os.environ) / "queue.jsonl"

    def command_end() -> None:
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            after_command(prog="mycelium-test", code=0, event="coordination_test_run")
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        queue.unlink(missing_ok=True)

    return Call(command_end)


# --- whole processes ----------------------------------------------------------------------


def _process(ground: Ground, argv: tuple[str, ...]) -> Process:
    # The sandbox's environment: HOME and XDG inside it, so no run reads the user's files.
    return Process(argv, dict(os.environ), str(ground.scratch("process")))


def _python(code: str) -> Callable[[Ground], Prepared]:
    return lambda ground: _process(ground, (sys.executable, "-c", code))


def _script(name: str, *args: str) -> Callable[[Ground], Prepared]:
    return lambda ground: _process(ground, (str(ground.console_script(name)), *args))


def _wizard(ground: Ground) -> Prepared:
    config = ground.scratch("wizard") / "config.yaml"
    onboarding = str(ground.console_script("mycelium-onboarding"))
    return _process(
        ground,
        (onboarding, "--non-interactive", "--services", "redis,postgres", "--method",
         "justfile", "--yes", "--config", str(config)),
    )  # fmt: skip


def _configuration(command: str) -> Callable[[Ground], Prepared]:
    def prepare(ground: Ground) -> Prepared:
        path = str(_saved_config(ground))
        script = str(ground.console_script("mycelium-configuration"))
        return _process(ground, (script, command, "--config", path))

    return prepare


# --- coordination patterns ----------------------------------------------------------------


def _pattern(pattern: Literal["pubsub", "taskqueue", "barrier"]) -> Callable[[Ground], Prepared]:
    return lambda ground: Throughput(pattern, ground.redis_url())


# Measured when the installed distribution does not say (a source tree): the distribution's
# own list wins, so a new console script is measured without anyone listing it here.
KNOWN_SCRIPTS: Final = (
    "mycelium-bench",
    "mycelium-configuration",
    "mycelium-generate",
    "mycelium-onboarding",
    "mycelium-qa",
    "mycelium-telemetry",
    "mycelium-telemetry-collector",
    "mycelium-test",
)


def _help_operations() -> tuple[BenchOperation, ...]:
    from mycelium.distribution import console_scripts  # noqa: PLC0415 - reads metadata

    scripts = console_scripts() or KNOWN_SCRIPTS
    # A script's name becomes part of an operation's, which is a-z0-9_ only.
    return tuple(
        BenchOperation(
            f"cli_help_{script.removeprefix('mycelium-').replace('-', '_')}",
            f"`{script} --help` (whole process)",
            "process",
            _script(script, "--help"),
        )
        for script in scripts
    )


OPERATIONS: Final[tuple[BenchOperation, ...]] = (
    BenchOperation(
        "docker_detection", "Docker detection (the daemon the docker CLI would use)", "call",
        _docker,
    ),
    BenchOperation("redis_detection", "Redis detection (a throwaway redis-server)", "call", _redis),
    BenchOperation(
        "redis_detection_refused", "Redis detection (a closed port)", "call", _redis_refused
    ),
    BenchOperation(
        "postgres_detection", "PostgreSQL detection (a throwaway PostgreSQL)", "call", _postgres
    ),
    BenchOperation(
        "temporal_detection", "Temporal detection (a closed port)", "call", _temporal_refused
    ),
    BenchOperation(
        "temporal_detection_silent",
        "Temporal detection (a listener that never answers: the probe's timeout)",
        "call", _temporal_silent, profile=False,
    ),
    BenchOperation("full_scan", "Full infrastructure scan (cold)", "call", _full_scan),
    BenchOperation(
        "full_scan_cached", "Full infrastructure scan (cached in the session)", "call",
        _full_scan_cached,
    ),
    BenchOperation("config_validation", "Configuration validation", "call", _validation),
    BenchOperation("config_loading", "Configuration loading from disk", "call", _loading),
    BenchOperation("compose_generation", "Docker Compose generation", "call", _compose),
    BenchOperation("justfile_generation", "Justfile generation", "call", _justfile),
    BenchOperation("env_generation", ".env generation", "call", _envfile),
    BenchOperation(
        "telemetry_cost",
        "Telemetry cost with the collector down (a listener that never answers)",
        "call", _telemetry_cost,
    ),
    BenchOperation(
        "python_startup", "`python -c pass` (whole process: the floor)", "process",
        _python("pass"),
    ),
    BenchOperation(
        "import_mycelium", "`import mycelium` (whole process)", "process",
        _python("import mycelium"),
    ),
    BenchOperation(
        "import_config", "`import mycelium.config` (whole process)", "process",
        _python("import mycelium.config"),
    ),
    BenchOperation(
        "detect_json", "`mycelium-onboarding --detect --json` (whole process)", "process",
        _script("mycelium-onboarding", "--detect", "--json"),
    ),
    BenchOperation(
        "wizard_flow", "Wizard complete flow (non-interactive, whole process)", "process",
        _wizard,
    ),
    BenchOperation(
        "configuration_show", "`mycelium-configuration show` (whole process)", "process",
        _configuration("show"),
    ),
    BenchOperation(
        "configuration_validate", "`mycelium-configuration validate` (whole process)",
        "process", _configuration("validate"),
    ),
    *_help_operations(),
    BenchOperation(
        "pubsub_throughput", "Pub/sub: messages delivered per second", "throughput",
        _pattern("pubsub"),
    ),
    BenchOperation(
        "taskqueue_throughput", "Task queue: tasks done per second (one worker killed)",
        "throughput", _pattern("taskqueue"),
    ),
    BenchOperation(
        "barrier_throughput", "Barrier: generations per second", "throughput",
        _pattern("barrier"),
    ),
)  # fmt: skip
