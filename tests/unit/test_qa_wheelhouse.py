"""--offline: the wheel platform tags asked of the index match what each host's pip takes."""

from __future__ import annotations

import json

import pytest

from mycelium.errors import ReleaseError
from mycelium.release.qa.wheelhouse import Target, platform_tags, probe_targets
from mycelium.release.remote.transport import CommandResult
from tests.unit.fake_transport import FakeTransport


def test_a_glibc_linux_host_takes_every_manylinux_down_to_2_17() -> None:
    tags = platform_tags({"platform": "linux-x86_64", "libc": ["glibc", "2.36"], "mac": ""})
    assert tags[0] == "manylinux_2_36_x86_64"
    assert tags[-3:] == ("manylinux_2_17_x86_64", "manylinux2014_x86_64", "linux_x86_64")
    assert len(tags) == (36 - 17 + 1) + 2


def test_a_musl_or_unknown_libc_linux_host_takes_only_plain_linux_wheels() -> None:
    assert platform_tags({"platform": "linux-aarch64", "libc": ["", ""], "mac": ""}) == (
        "linux_aarch64",
    )


def test_a_mac_takes_its_own_version_and_older() -> None:
    tags = platform_tags({"platform": "macosx-14.0-arm64", "libc": ["", ""], "mac": "14.5"})
    assert tags[0] == "macosx_14_0_arm64"
    assert "macosx_11_0_arm64" in tags
    assert "macosx_11_0_universal2" in tags


def test_an_unknown_platform_is_a_clear_error() -> None:
    with pytest.raises(ReleaseError, match="no wheel platform tags known for a win-amd64 host"):
        platform_tags({"platform": "win-amd64"})


def test_each_interpreter_the_host_has_is_probed_and_a_missing_one_skipped() -> None:
    answer = {"platform": "linux-x86_64", "python": "3.12.3", "libc": ["glibc", "2.39"],
              "mac": ""}  # fmt: skip
    transport = FakeTransport(
        "h",
        answers=[
            ("python3.11", CommandResult(127, "", "not found")),
            ("python3.12", CommandResult(0, "login banner\n" + json.dumps(answer) + "\n", "")),
        ],
    )
    targets = probe_targets(transport, ["python3.11", "python3.12"])
    assert [t.python for t in targets] == ["3.12.3"]
    assert targets[0].platforms[0] == "manylinux_2_39_x86_64"
    assert len(transport.commands) == 2


def test_two_hosts_of_the_same_kind_share_one_wheelhouse_key() -> None:
    one = Target("3.12.3", ("manylinux_2_39_x86_64", "linux_x86_64"))
    other = Target("3.12.3", ("manylinux_2_39_x86_64", "linux_x86_64"))
    older = Target("3.12.3", ("manylinux_2_35_x86_64", "linux_x86_64"))
    assert one.key == other.key != older.key
