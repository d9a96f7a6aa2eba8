"""Hostile configuration values never leave their field in a generated file.

Validation is bypassed on purpose (``model_copy`` does not validate): these tests prove the
second line of defence, the quoting each generator applies by construction. A value either
arrives intact in its own YAML scalar, shell word, just string or dotenv value, or the
generator refuses it with an error; it never adds a key, a service, a command or a line.
"""

from __future__ import annotations

import io
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest
import yaml
from dotenv import dotenv_values
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from mycelium.config import MyceliumConfig
from mycelium.generators import DockerComposeGenerator, JustfileGenerator, SecretsGenerator
from mycelium.generators.quoting import UnsafeValueError

if TYPE_CHECKING:
    from pydantic import BaseModel

MARK: Final = "PLACEHOLDER"
PAYLOADS: Final = (
    "::1%$(id>PWNED)",
    '::1%"\n  evil:\n    image: alpine\n    volumes: ["/:/host"]\n#',
    "127.0.0.1\nservices:\n  x: {}",
    "`touch PWNED`",
    "'; touch PWNED; '",
    '"; touch PWNED; "',
    "a\\x2fb\\\\",
    "line\u2028sep\u2029par\x85nel",
    "nul\x00byte",
    "{{ data }}[[ bind ]]${HOME}$$",
    "%s%n%",
    "# comment",
    "- item",
    "key: value",
    "",
)
hostile = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(min_size=0, max_size=40),
    st.lists(
        st.sampled_from(["'", '"', "\n", "\r", "$(", ")", "`", "%", "\\", "#", ":", "{{"])
    ).map("".join),
)
EXAMPLES: Final = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Every configuration string that reaches a generated file, by field path.
COMPOSE_FIELDS: Final = (
    ("deployment", "bind_address"),
    ("project_name",),
    ("services", "redis", "version"),
    ("services", "postgres", "version"),
    ("services", "postgres", "database"),
    ("services", "postgres", "user"),
    ("services", "temporal", "version"),
    ("services", "temporal", "ui_version"),
    ("services", "temporal", "namespace"),
    ("services", "taskqueue", "queue"),
)
JUSTFILE_FIELDS: Final = (
    ("deployment", "bind_address"),
    ("services", "redis", "port"),
    ("services", "redis", "max_memory"),
    ("services", "postgres", "port"),
    ("services", "postgres", "user"),
    ("services", "postgres", "database"),
    ("services", "temporal", "port"),
    ("services", "temporal", "ui_port"),
    ("services", "temporal", "namespace"),
)
ALL_ON: Final = {"services": {"temporal": {"enabled": True}}}


def with_value(config: BaseModel, path: tuple[str, ...], value: object) -> Any:
    """``config`` with the field at ``path`` set to ``value``, skipping validation."""
    head, *rest = path
    if not rest:
        return config.model_copy(update={head: value})
    return config.model_copy(update={head: with_value(getattr(config, head), tuple(rest), value)})


def base(method: str = "docker-compose") -> MyceliumConfig:
    return MyceliumConfig.model_validate({**ALL_ON, "deployment": {"method": method}})


def compose_strings(data: Any, change: Any) -> Any:
    """``data`` with ``change`` applied to every string in it, keys included."""
    if isinstance(data, dict):
        return {compose_strings(k, change): compose_strings(v, change) for k, v in data.items()}
    if isinstance(data, list):
        return [compose_strings(item, change) for item in data]
    return change(data) if isinstance(data, str) else data


def unescape(text: str) -> str:
    return text.replace("$$", "$")  # what Compose's interpolation reads


@pytest.mark.parametrize("path", COMPOSE_FIELDS, ids=".".join)
@EXAMPLES
@given(value=hostile)
def test_a_hostile_value_stays_in_its_compose_scalar(path: tuple[str, ...], value: str) -> None:
    expected_value = value
    mark = MARK
    if path == ("deployment", "bind_address"):
        # An address with a colon is published in brackets, as Compose reads IPv6.
        mark, expected_value = MARK, f"[{value}]" if ":" in value else value
    reference = yaml.safe_load(DockerComposeGenerator().render(with_value(base(), path, mark)))
    text = DockerComposeGenerator().render(with_value(base(), path, value))
    loaded = yaml.safe_load(text)
    assert compose_strings(loaded, unescape) == compose_strings(
        compose_strings(reference, unescape), lambda s: s.replace(mark, expected_value)
    )


@EXAMPLES
@given(value=hostile)
def test_a_hostile_redis_memory_is_refused_by_the_compose_generator(value: str) -> None:
    assume(not re.fullmatch(r"[0-9]+(kb|mb|gb)", value))
    config = with_value(base(), ("services", "redis", "max_memory"), value)
    with pytest.raises(UnsafeValueError, match=r"^services\.redis\.max_memory: "):
        DockerComposeGenerator().render(config)


def just() -> str:
    found = shutil.which("just", path=str(Path(sys.executable).parent)) or shutil.which("just")
    if found is None:
        pytest.skip("just is not installed; run `uv sync`")
    return found


def dry_run(justfile: Path, recipe: str) -> str:
    """The script ``recipe`` would run, every ``{{ }}`` evaluated, without running it."""
    shown = subprocess.run(
        [just(), "--justfile", str(justfile), "--yes", "--dry-run", recipe],
        capture_output=True,
        check=False,
        timeout=30,
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stderr.decode("utf-8")  # bytes: text mode would turn a \r into \n


def words(script: str, names: list[str]) -> list[str]:
    """The shell variables ``names`` as bash sees them after ``script``'s assignments.

    The recipes assign every configured value just before ``dir=``; bash runs exactly
    those lines, then prints the variables NUL-separated.
    """
    assignments = script[script.index("bind=") : script.rindex("dir=")]
    probe = assignments + "\nprintf '%s\\0' " + " ".join(f'"${n}"' for n in names)
    result = subprocess.run(
        ["bash", "-c", probe], capture_output=True, check=False, timeout=10, cwd="/"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.decode("utf-8").split("\0")[:-1]


def first_words(text: str, count: int) -> list[str]:
    """The first ``count`` shell words of ``text``, read lazily (the rest may be anything)."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return [next(lexer) for _ in range(count)]


@pytest.mark.parametrize("path", JUSTFILE_FIELDS, ids=".".join)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile)
@example(value="::1%$(id>PWNED)")
def test_a_hostile_value_reaches_the_justfile_recipes_as_one_shell_word(
    path: tuple[str, ...], value: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    config = with_value(base("justfile"), path, value)
    if "\x00" in value:
        with pytest.raises(UnsafeValueError, match="NUL"):
            JustfileGenerator().render(config)
        return
    out = tmp_path_factory.mktemp("just")
    justfile = out / "Justfile"
    justfile.write_text(JustfileGenerator().render(config), newline="")
    service = path[1] if path[0] == "services" else "redis"
    script = dry_run(justfile, f"{service}-up")
    syntax = subprocess.run(
        ["bash", "-n"], input=script, capture_output=True, text=True, check=False
    )
    assert syntax.returncode == 0, syntax.stderr
    field = path[-1]
    if field == "bind_address":
        assert words(script, ["bind"]) == [value]
    elif field in {"port", "ui_port"}:
        name = "port" if field == "port" else "ui_port"
        assert words(script, [name]) == [value]
    elif field in {"user", "database"}:
        assert words(script, [field]) == [value]
    else:
        # Passed straight as one argument: the word after the option, quoted once.
        option = {"max_memory": "--maxmemory", "namespace": "--namespace"}[field]
        assert first_words(script[script.index(option) :], 2) == [option, value]
    assert not list(out.glob("PWNED*"))
    assert not Path("/PWNED").exists()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile)
def test_a_hostile_bind_address_reaches_pg_ctl_as_one_option(
    value: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # pg_ctl hands -o to /bin/sh: the address must survive that second shell too.
    config = with_value(base("justfile"), ("deployment", "bind_address"), value)
    if "\x00" in value:
        return
    justfile = tmp_path_factory.mktemp("pg") / "Justfile"
    justfile.write_text(JustfileGenerator().render(config), newline="")
    script = dry_run(justfile, "postgres-up")
    options = first_words(script[script.index("start -o ") :], 3)[2]
    assert f"listen_addresses={value}" in shlex.split(options)


@EXAMPLES
@given(value=hostile)
def test_a_hostile_project_name_stays_in_its_dotenv_value_or_is_refused(value: str) -> None:
    config = with_value(base(), ("project_name",), value)
    try:
        text = SecretsGenerator().render(config)
    except UnsafeValueError:
        return
    read = dotenv_values(stream=io.StringIO(text))
    assert list(read) == [
        "COMPOSE_PROJECT_NAME",
        "REDIS_PASSWORD",
        "POSTGRES_PASSWORD",
        "TEMPORAL_DB_PASSWORD",
    ]
    assert read["COMPOSE_PROJECT_NAME"] == value


USER_LINES: Final = (
    'GREETING="hello # world"\n',
    'LETTER="Dear you,\nline two\n"\n',
    "my.dotted=kept\n",
    "export SHELLISH='single $HOME'\n",
    "SPACES =  padded # comment\n",
    "# a note of mine\n",
    "#POSTGRES_PASSWORD=OLDPW_SECRET\n",
    "NOEQ x\n",
    "=x\n",
    "CR=a\rX\n",
)


@pytest.mark.parametrize("line", USER_LINES)
def test_a_user_variable_in_env_is_carried_over_byte_for_byte(line: str) -> None:
    old = "REDIS_PASSWORD=mine\n" + line
    new = SecretsGenerator().render(base(), old)
    assert line in new
    assert "REDIS_PASSWORD=mine\n" in new
    before = dotenv_values(stream=io.StringIO(old))
    after = dotenv_values(stream=io.StringIO(new))
    assert {k: after[k] for k in before} == before


def test_a_regenerated_env_keeps_the_users_lines_in_order_and_is_stable() -> None:
    mine = "# a note of mine\nNOEQ x\nMINE=1\n#POSTGRES_PASSWORD=OLDPW_SECRET\n=x\nCR=a\rX\n"
    new = SecretsGenerator().render(base(), "REDIS_PASSWORD=mine\n" + mine)
    assert mine in new
    assert SecretsGenerator().render(base(), new) == new


@given(value=st.text(max_size=30))
@EXAMPLES
@example(value="\r\n")  # found by hypothesis: the renderer once rewrote CRLF to LF
def test_a_user_quoted_value_reads_the_same_after_regeneration(value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "")
    old = f'MINE="{escaped}"\n'
    new = SecretsGenerator().render(base(), old)
    assert old in new
    assert (
        dotenv_values(stream=io.StringIO(new))["MINE"]
        == dotenv_values(stream=io.StringIO(old))["MINE"]
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bind_address", "::1%$(id>PWNED_JUST)"),
        ("bind_address", "fe80::1%eth0\n"),
        ("bind_address", "::1%" + "a" * 16),
        ("host", "localhost\n"),
        ("host", "::1%`id`"),
        ("host", "local host"),
    ],
)
def test_an_address_field_refuses_anything_but_an_address(field: str, value: str) -> None:
    data: dict[str, Any] = (
        {"deployment": {"bind_address": value}}
        if field == "bind_address"
        else {"services": {"redis": {"host": value}}}
    )
    with pytest.raises(ValueError, match="is not a"):
        MyceliumConfig.model_validate(data)


@pytest.mark.parametrize("value", ["fe80::1%eth0", "fe80::1%3", "fe80::1%br-lan.10", "::1"])
def test_an_ipv6_address_with_an_interface_zone_is_accepted(value: str) -> None:
    config = MyceliumConfig.model_validate(
        {"deployment": {"bind_address": value}, "services": {"redis": {"host": value}}}
    )
    assert config.deployment.bind_address == value
