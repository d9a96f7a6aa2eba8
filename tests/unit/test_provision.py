"""Provisioning: a missing tool is installed or named with the exact command, never skipped."""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING

import pytest

from mycelium.errors import ToolMissingError
from mycelium.release.dev import provision
from mycelium.release.dev.provision import (
    NO_DOCKER_OFF_LINUX,
    TEST_TOOLS,
    Host,
    InstallPlan,
    PackageManager,
    SystemTool,
    ensure_tools,
    needed_tools,
    package_manager,
    plan_install,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

GHOST = SystemTool("ghost", ("mycelium-no-such-program",), apt=("ghost-pkg",), brew=("ghost",))
PRESENT = SystemTool("python", ("python3",), apt=("python3",))


def test_nothing_missing_installs_nothing() -> None:
    calls: list[Sequence[str]] = []

    def runner(argv: Sequence[str]) -> int:
        calls.append(argv)
        return 0

    assert ensure_tools([PRESENT], runner=runner) == []
    assert calls == []


def test_without_the_right_to_install_it_stops_with_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = InstallPlan(
        (("sudo", "apt-get", "update", "-q"), ("sudo", "apt-get", "install", "-y", "ghost-pkg")),
        can_run=False,
    )
    monkeypatch.setattr(provision, "plan_install", lambda _tools: plan)
    with pytest.raises(ToolMissingError) as info:
        ensure_tools([GHOST, PRESENT])
    assert str(info.value) == (
        "the integration tests need ghost (mycelium-no-such-program); run: "
        "sudo apt-get update -q && sudo apt-get install -y ghost-pkg"
    )


def test_no_install_flag_stops_even_when_it_could_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        provision, "plan_install", lambda _t: InstallPlan((("brew", "install", "ghost"),), True)
    )
    with pytest.raises(ToolMissingError, match=r"run: brew install ghost$"):
        ensure_tools([GHOST], install=False)


def test_an_install_that_does_not_provide_the_program_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(provision, "plan_install", lambda _t: InstallPlan((("true",),), True))
    with pytest.raises(ToolMissingError, match=r"still missing after installing: ghost"):
        ensure_tools([GHOST], runner=lambda _argv: 0)


def test_a_failing_package_manager_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        provision,
        "plan_install",
        lambda _t: InstallPlan((("apt-get", "install", "ghost-pkg"),), True),
    )
    with pytest.raises(ToolMissingError, match=r"^`apt-get install ghost-pkg` failed; "):
        ensure_tools([GHOST], runner=lambda _argv: 100)


def test_a_tool_that_only_uv_provides_points_at_uv_sync() -> None:
    just = SystemTool("just", ("mycelium-no-such-just",), apt=())
    with pytest.raises(ToolMissingError, match=r"run `uv sync`"):
        ensure_tools([just])


def _host(system: str, *, root: bool = True, sudo_user: str | None = None) -> Host:
    return Host(
        system=system,
        root=root,
        sudo_user=sudo_user,
        apt_get="/usr/bin/apt-get" if system == "Linux" else None,
        brew="/opt/homebrew/bin/brew" if system == "Darwin" else None,
    )


def test_each_platform_has_its_package_manager() -> None:
    assert package_manager(_host("Linux")) is PackageManager.APT
    assert package_manager(_host("Darwin")) is PackageManager.BREW
    assert package_manager(Host("Linux", True, None, apt_get=None, brew=None)) is None
    assert package_manager(Host("Windows", True, None, apt_get=None, brew=None)) is None


def test_apt_as_root_installs_the_debian_packages() -> None:
    plan = plan_install([GHOST], _host("Linux"))
    assert plan == InstallPlan(
        (
            ("apt-get", "update", "-q"),
            ("apt-get", "install", "-y", "-q", "--no-install-recommends", "ghost-pkg"),
        ),
        can_run=True,
    )


def test_apt_without_root_is_printed_with_sudo_and_not_run() -> None:
    plan = plan_install([GHOST], _host("Linux", root=False))
    assert plan.commands[0] == ("sudo", "apt-get", "update", "-q")
    assert not plan.can_run


def test_homebrew_installs_the_formulae_as_the_user() -> None:
    plan = plan_install([GHOST], _host("Darwin", root=False))
    assert plan == InstallPlan((("brew", "install", "ghost"),), can_run=True)


def test_homebrew_under_sudo_runs_as_the_user_who_called_sudo() -> None:
    # Homebrew refuses root; the suite runs as root (the sshd lab logs in as root).
    plan = plan_install([GHOST], _host("Darwin", sudo_user="runner"))
    assert plan == InstallPlan(
        (("sudo", "-u", "runner", "-H", "/opt/homebrew/bin/brew", "install", "ghost"),),
        can_run=True,
    )


def test_homebrew_as_plain_root_is_printed_not_run() -> None:
    plan = plan_install([GHOST], _host("Darwin", sudo_user=None))
    assert plan == InstallPlan((("brew", "install", "ghost"),), can_run=False)


def test_the_test_tools_map_to_each_package_manager() -> None:
    on_mac = needed_tools(TEST_TOOLS, "Darwin")
    assert sorted({p for t in on_mac for p in t.packages(PackageManager.BREW)}) == [
        "docker-compose", "git", "postgresql@16", "prometheus", "redis",
    ]  # fmt: skip
    assert sorted({p for t in TEST_TOOLS for p in t.packages(PackageManager.APT)}) == [
        "debootstrap", "docker-compose", "docker.io", "git", "openssh-client",
        "openssh-server", "postgresql", "prometheus", "redis-server",
    ]  # fmt: skip


def test_docker_is_needed_on_linux_and_skipped_with_a_reason_on_macos() -> None:
    assert {t.name for t in needed_tools(TEST_TOOLS, "Linux")} >= {"docker", "debootstrap"}
    assert {t.name for t in TEST_TOOLS} - {t.name for t in needed_tools(TEST_TOOLS, "Darwin")} == {
        "docker",
        "debootstrap",
    }
    assert all(
        t.linux_only == NO_DOCKER_OFF_LINUX
        for t in TEST_TOOLS
        if t.name in {"docker", "debootstrap"}
    )


def test_on_linux_a_missing_linux_only_tool_is_still_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dockerish = SystemTool("dockerish", ("mycelium-no-such-dockerd",), apt=("d",), linux_only="x")
    monkeypatch.setattr(platform, "system", lambda: "Linux")
    monkeypatch.setattr(provision, "plan_install", lambda _t: InstallPlan((("x",),), False))
    with pytest.raises(ToolMissingError, match=r"need dockerish"):
        ensure_tools([dockerish])
    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    assert ensure_tools([dockerish]) == []
