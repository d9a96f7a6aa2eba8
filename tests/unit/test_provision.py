"""Provisioning: a missing tool is installed or named with the exact command, never skipped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mycelium.errors import ToolMissingError
from mycelium.release.dev import provision
from mycelium.release.dev.provision import InstallPlan, SystemTool, ensure_tools

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
