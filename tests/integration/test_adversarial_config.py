"""Hostile configuration files and paths, given to the real commands.

Each command runs as a separate process under a 1 GB address-space limit and a timeout,
so a regression (an alias bomb expanded, a FIFO read) fails the test instead of eating the
machine. What is asserted is what a user sees: the exit code, one line on stderr naming
the file and the fix, no traceback, and files on disk untouched.
"""

from __future__ import annotations

import os
import resource
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mycelium.config.limits import LIMITS
from mycelium.config.messages import MAX_PROBLEMS

Run = Callable[..., subprocess.CompletedProcess[str]]

MEMORY_LIMIT = 1024 * 1024 * 1024
TIMEOUT_S = 30
FIX_PATH = "choose another file with --config PATH or $MYCELIUM_CONFIG"


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _runner(exe: str) -> Run:
    def run(
        *args: str, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env={**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock", **(env or {})},
            check=False,
            preexec_fn=_limited,  # a resource limit must be set in the child itself
        )

    return run


@pytest.fixture
def mc(console_script: Callable[[str], str]) -> Run:
    return _runner(console_script("mycelium-configuration"))


@pytest.fixture
def generate(console_script: Callable[[str], str]) -> Run:
    return _runner(console_script("mycelium-generate"))


@pytest.fixture
def onboard(console_script: Callable[[str], str]) -> Run:
    return _runner(console_script("mycelium-onboarding"))


def one_line_error(result: subprocess.CompletedProcess[str], prog: str) -> str:
    """The single error line of a failed command, without its ``prog: error:`` prefix."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    prefix = f"{prog}: error: "
    assert lines[0].startswith(prefix), result.stderr
    return lines[0].removeprefix(prefix)


def billion_laughs(levels: int = 10) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


# Resource bounds: alias bombs, nesting, size, keys, non-regular files.


def test_an_alias_bomb_config_is_refused_at_once(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "bomb.yaml"
    config.write_text(billion_laughs())
    # Bounded by the child's memory limit and the runner's timeout, never by a timing.
    result = mc("validate", "--config", str(config))
    assert one_line_error(result, "mycelium-configuration") == (
        f"{config}:5: refused: more than {LIMITS.max_values:,} values once its aliases "
        "(*name) are expanded; nothing was read, simplify the file"
    )


def test_an_alias_bomb_compose_file_is_refused_by_generate_check(
    generate: Run, tmp_path: Path
) -> None:
    compose = tmp_path / "compose.yml"
    compose.write_text(billion_laughs() + "services: {}\n")
    result = generate("--check", str(compose))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"more than {LIMITS.max_values:,} values once its aliases (*name) are expanded" in (
        result.stderr
    )


def test_an_alias_bomb_as_a_value_on_the_command_line_is_not_expanded(
    mc: Run, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    flow = "{" + ", ".join(billion_laughs().splitlines()) + "}"
    result = mc("set", "--config", str(config), "project_name", flow)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert not config.exists()


def test_a_merge_key_bomb_is_refused(mc: Run, tmp_path: Path) -> None:
    lines = ["m0: &m0 {a: 1, b: 2}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], c{i}: 1}}" for i in range(1, 30)]
    config = tmp_path / "merge.yaml"
    config.write_text("\n".join(lines) + "\n")
    message = one_line_error(mc("validate", "--config", str(config)), "mycelium-configuration")
    assert "values once its aliases (*name) are expanded" in message


def test_an_alias_to_its_own_collection_is_refused(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "loop.yaml"
    config.write_text("services: &s\n  redis: *s\n")
    assert one_line_error(mc("validate", "--config", str(config)), "mycelium-configuration") == (
        f"{config}:1: refused: an alias refers to the collection that contains it; "
        "nothing was read, simplify the file"
    )


def test_nesting_800_deep_is_refused_with_the_limit(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "deep.yaml"
    config.write_text("project_name: " + "[" * 800 + "]" * 800 + "\n")
    assert one_line_error(mc("validate", "--config", str(config)), "mycelium-configuration") == (
        f"{config}:1: refused: nested more than {LIMITS.max_depth} levels deep; "
        "nothing was read, simplify the file"
    )


def test_a_huge_file_is_refused_before_it_is_parsed(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "huge.yaml"
    config.write_text("project_name: x\n" + "# padding\n" * 500_000)
    assert one_line_error(mc("validate", "--config", str(config)), "mycelium-configuration") == (
        f"{config}: refused: larger than {LIMITS.max_chars:,} bytes, the limit for a "
        f"configuration file (a real one is a few kilobytes); {FIX_PATH}"
    )


def test_thousands_of_unknown_keys_print_a_bounded_list(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "keys.yaml"
    config.write_text("".join(f"unknown_{i}: {i}\n" for i in range(20_000)))
    result = mc("validate", "--config", str(config))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"mycelium-configuration: error: {config}: invalid configuration (20000 problems):"
    )
    assert len(lines) == MAX_PROBLEMS + 2
    assert lines[1].startswith(f"  {config}:1: unknown_0: unknown setting;")
    assert lines[-1] == f"  … and {20_000 - MAX_PROBLEMS:,} more; fix these and validate again"


def test_a_megabyte_key_is_echoed_as_its_start(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "long.yaml"
    config.write_text("? " + "k" * 1_000_000 + "\n: 1\n")
    result = mc("validate", "--config", str(config))
    assert result.returncode == 1
    assert len(result.stderr) < 1000
    assert f"{config}:1: {'k' * 59}…: unknown setting" in result.stderr


def test_more_values_than_the_limit_are_refused(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "values.yaml"
    config.write_text("project_name: [" + "1," * (LIMITS.max_values + 1) + "]\n")
    message = one_line_error(mc("validate", "--config", str(config)), "mycelium-configuration")
    assert message == (
        f"{config}:1: refused: more than {LIMITS.max_values:,} values (keys, items and "
        "scalars); nothing was read, simplify the file"
    )


def _values_past_the_limit(tmp_path: Path, shape: str) -> Path:
    # Just under the 4 MiB size bound: only the count of values can refuse these.
    path = tmp_path / f"{shape}.yaml"
    if shape == "list":
        path.write_text("schema_version: 2\nx:\n" + "- 1\n" * 1_040_000)
    else:
        path.write_text("schema_version: 2\n" + "".join(f"k{i}: 1\n" for i in range(200_000)))
    assert path.stat().st_size < LIMITS.max_chars
    return path


@pytest.mark.parametrize("shape", ["list", "keys"])
def test_a_million_values_are_refused_while_composing_under_the_memory_limit(
    mc: Run, generate: Run, tmp_path: Path, shape: str
) -> None:
    path = _values_past_the_limit(tmp_path, shape)
    message = one_line_error(mc("validate", "--config", str(path)), "mycelium-configuration")
    assert message.startswith(f"{path}:")
    assert message.endswith(
        f": refused: more than {LIMITS.max_values:,} values (keys, items and scalars); "
        "nothing was read, simplify the file"
    )
    assert "alias" not in message
    checked = generate("--check", str(path))
    assert checked.returncode == 1, checked.stderr
    assert f"more than {LIMITS.max_values:,} values (keys, items and scalars)" in checked.stderr
    assert "alias" not in checked.stderr


def test_two_merge_keys_in_one_mapping_are_a_duplicate_key(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "merge2.yaml"
    config.write_text("services:\n  redis:\n    <<: {port: 7000}\n    <<: {port: 7002}\n")
    assert one_line_error(mc("validate", "--config", str(config)), "mycelium-configuration") == (
        f"{config}:4: services.redis.<<: the key appears twice; keep one of them, or merge "
        "several mappings with <<: [*a, *b]"
    )


def test_a_fifo_as_the_config_is_refused_without_waiting(mc: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    for command in ("validate", "show"):
        assert one_line_error(mc(command, "--config", str(fifo)), "mycelium-configuration") == (
            f"{fifo}: not a regular file (a named pipe); {FIX_PATH}"
        )


def test_a_character_device_as_the_config_is_refused(mc: Run) -> None:
    assert one_line_error(mc("validate", "--config", "/dev/zero"), "mycelium-configuration") == (
        f"/dev/zero: not a regular file (a character device); {FIX_PATH}"
    )


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_proc_self_mem_as_the_config_is_a_one_line_error(mc: Run) -> None:
    assert one_line_error(
        mc("validate", "--config", "/proc/self/mem"), "mycelium-configuration"
    ) == (f"/proc/self/mem: cannot read it: Input/output error; {FIX_PATH}")


# Paths that are not a writable file: one line naming the file and the fix.


def test_a_config_path_under_a_regular_file_is_a_one_line_error(mc: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine\n")
    config = blocker / "config.yaml"
    expected = f"{config}: {blocker} is a file, not a directory; {FIX_PATH}"
    for args in (("validate",), ("set", "project_name", "x"), ("init",)):
        result = mc(*args, "--config", str(config))
        assert one_line_error(result, "mycelium-configuration") == expected
    assert blocker.read_text() == "mine\n"


def test_a_directory_as_the_config_path_for_set_is_a_one_line_error(
    mc: Run, tmp_path: Path
) -> None:
    directory = tmp_path / "conf"
    directory.mkdir()
    result = mc("set", "--config", str(directory), "project_name", "x")
    assert one_line_error(result, "mycelium-configuration") == (
        f"{directory}: is a directory, not a configuration file; give a file path such as "
        f"{directory / 'config.yaml'}"
    )
    assert list(directory.iterdir()) == []


def test_a_symlink_loop_is_a_one_line_error(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.symlink_to(tmp_path / "other.yaml")
    (tmp_path / "other.yaml").symlink_to(config)
    expected = f"{config}: the symbolic links loop; point the link at a real file"
    for args in (("validate",), ("set", "project_name", "x")):
        assert one_line_error(mc(*args, "--config", str(config)), "mycelium-configuration") == (
            expected
        )


def test_a_300_character_file_name_is_a_one_line_error(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / ("c" * 300 + ".yaml")
    expected = f"{config}: the name is too long for this file system; {FIX_PATH}"
    for args in (("validate",), ("set", "project_name", "x"), ("init",)):
        assert one_line_error(mc(*args, "--config", str(config)), "mycelium-configuration") == (
            expected
        )


UNWRITABLE = Path("/sys/mycelium-test/config.yaml")


def assert_cannot_write(message: str) -> None:
    assert message.startswith(f"{UNWRITABLE}: cannot write it: "), message
    assert message.endswith(
        "; check the owner and mode of the file and its directory, or " + FIX_PATH
    ), message


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux /sys")
def test_an_unwritable_location_for_init_and_set_is_a_one_line_error(mc: Run) -> None:
    for args in (("init",), ("set", "project_name", "x")):
        assert_cannot_write(
            one_line_error(mc(*args, "--config", str(UNWRITABLE)), "mycelium-configuration")
        )


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux /sys")
def test_an_unwritable_location_for_the_wizard_is_a_one_line_error(onboard: Run) -> None:
    result = onboard("--yes", "--config", str(UNWRITABLE), "--timeout", "50")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    error = result.stderr.splitlines()[-1]
    assert_cannot_write(error.removeprefix("mycelium-onboarding: error: "))


def test_an_editor_with_broken_quoting_is_a_one_line_error(mc: Run, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    assert mc("init", "--config", str(config)).returncode == 0
    before = config.read_text()
    result = mc("edit", "--config", str(config), env={"EDITOR": 'vim "'})
    assert one_line_error(result, "mycelium-configuration") == (
        "$EDITOR ('vim \"') cannot be read as a command: No closing quotation; "
        "fix its quoting, for example `export EDITOR=nano`"
    )
    assert config.read_text() == before


# Links: backups never follow one; a linked config is written through to its target.


def test_a_planted_backup_link_is_replaced_never_followed(mc: Run, tmp_path: Path) -> None:
    victim = tmp_path / "home" / ".bashrc"
    victim.write_text("alias ll='ls -l'\n")
    project = tmp_path / "work"
    assert mc("init", "--project").returncode == 0
    (project / "mycelium.yaml.bak").symlink_to("../home/.bashrc")
    before = (project / "mycelium.yaml").read_text()
    result = mc("set", "project_name", "mine")
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "alias ll='ls -l'\n"
    backup = project / "mycelium.yaml.bak"
    assert not backup.is_symlink()
    assert backup.read_text() == before


def test_a_symlinked_config_is_written_through_to_its_target(mc: Run, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "real.yaml"
    link = tmp_path / "link.yaml"
    link.symlink_to("dotfiles/real.yaml")
    assert mc("init", "--config", str(link)).returncode == 0
    assert mc("set", "--config", str(link), "project_name", "mine").returncode == 0
    assert link.is_symlink()
    assert str(link.readlink()) == "dotfiles/real.yaml"
    assert "project_name: mine" in real.read_text()
    assert "project_name: mycelium" in (dotfiles / "real.yaml.bak").read_text()


# Concurrency: the read-modify-write happens under the lock.


def test_ten_parallel_sets_of_different_keys_all_land(
    console_script: Callable[[str], str], tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    exe = console_script("mycelium-configuration")
    subprocess.run([exe, "init", "--config", str(config)], check=True, capture_output=True)
    wanted = {
        "project_name": "parallel",
        "services.redis.port": "6390",
        "services.redis.max_memory": "512mb",
        "services.redis.version": "7.4.2",
        "services.postgres.port": "5440",
        "services.postgres.database": "db10",
        "services.postgres.user": "someone",
        "services.postgres.max_connections": "50",
        "services.taskqueue.workers": "8",
        "services.taskqueue.queue": "jobs",
    }
    procs = [
        subprocess.Popen(
            [exe, "set", "--config", str(config), key, value],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, value in wanted.items()
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    for key, value in wanted.items():
        got = subprocess.run(
            [exe, "get", "--config", str(config), key],
            capture_output=True,
            text=True,
            check=True,
        )
        assert got.stdout == f"{value}\n", key


# mycelium-generate: a link at a generated name is refused, its target left alone.

GENERATED_NAMES = (
    ".env",
    "docker-compose.yml",
    "Justfile",
    ".gitignore",
    ".mycelium-generated.json",
    ".env.bak",
    "docker-compose.yml.bak",
)


@pytest.mark.parametrize("name", GENERATED_NAMES)
@pytest.mark.parametrize("force", [(), ("--force",)], ids=["plain", "force"])
def test_a_link_at_a_generated_name_is_refused_and_its_target_left_alone(
    generate: Run, tmp_path: Path, name: str, force: tuple[str, ...]
) -> None:
    config = tmp_path / "mycelium.yaml"
    config.write_text("schema_version: 2\n")
    out = tmp_path / "deploy"
    out.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("SECRET_IN_BASHRC=hunter2\n")
    victim.chmod(0o644)
    (out / name).symlink_to(victim)
    only = ("--only", "justfile") if name == "Justfile" else ()
    result = generate("--config", str(config), "--output", str(out), *only, *force)
    assert one_line_error(result, "mycelium-generate") == (
        f"{out / name}: is a symbolic link, which mycelium-generate never follows; "
        "remove the link and run again"
    )
    assert victim.read_text() == "SECRET_IN_BASHRC=hunter2\n"
    assert victim.stat().st_mode & 0o777 == 0o644
    assert (out / name).is_symlink()
    assert "hunter2" not in "".join(
        p.read_text() for p in out.iterdir() if p.is_file() and not p.is_symlink()
    )


# mycelium-generate --check FILE: read as safely as a configuration, errors name --check.

CHECK_FIX = "give --check the path of a Compose file"


def test_a_fifo_given_to_generate_check_is_refused_without_waiting(
    generate: Run, tmp_path: Path
) -> None:
    fifo = tmp_path / "compose.yml"
    os.mkfifo(fifo)
    assert one_line_error(generate("--check", str(fifo)), "mycelium-generate") == (
        f"--check {fifo}: not a regular file (a named pipe); {CHECK_FIX}"
    )


def test_a_symlink_loop_given_to_generate_check_is_a_one_line_error(
    generate: Run, tmp_path: Path
) -> None:
    loop = tmp_path / "loop.yml"
    loop.symlink_to(tmp_path / "loop.yml")
    assert one_line_error(generate("--check", str(loop)), "mycelium-generate") == (
        f"--check {loop}: the symbolic links loop; {CHECK_FIX}"
    )


def test_proc_self_mem_given_to_generate_check_names_the_file(generate: Run) -> None:
    assert one_line_error(generate("--check", "/proc/self/mem"), "mycelium-generate") == (
        f"--check /proc/self/mem: cannot read it: Input/output error; {CHECK_FIX}"
    )


def test_a_directory_given_to_generate_check_names_check_not_output(
    generate: Run, tmp_path: Path
) -> None:
    assert one_line_error(generate("--check", str(tmp_path)), "mycelium-generate") == (
        f"--check {tmp_path}: is a directory; {CHECK_FIX}"
    )


def test_a_check_path_under_a_regular_file_names_check_not_output(
    generate: Run, tmp_path: Path
) -> None:
    regular = tmp_path / "regular"
    regular.write_text("x\n")
    assert one_line_error(generate("--check", str(regular / "x.yml")), "mycelium-generate") == (
        f"--check {regular / 'x.yml'}: {regular} is a file, not a directory; {CHECK_FIX}"
    )
