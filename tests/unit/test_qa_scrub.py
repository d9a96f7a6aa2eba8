"""Scrubbing: no sandbox path, home, user name, host name, IP or secret survives."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mycelium.qa.checklist import CheckFailedError, QAContext, check
from mycelium.qa.report import CheckResult, Status
from mycelium.qa.runner import run_check
from mycelium.qa.scrub import Scrubber

SANDBOX = Path("/tmp/mycelium-qa-x1y2z3")
USER = "alice-tester"


@pytest.fixture
def scrubber(monkeypatch: pytest.MonkeyPatch) -> Scrubber:
    monkeypatch.setenv("USER", USER)
    monkeypatch.setenv("HOME", f"/home/{USER}")
    return Scrubber.for_host(SANDBOX)


FILLER = st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs")), max_size=12)


PROPERTY_SCRUBBER = Scrubber.for_host(SANDBOX, extra=[(f"/home/{USER}", "~"), (USER, "<user>")])


@settings(max_examples=200, deadline=None)
@given(before=FILLER, after=FILLER, leaf=st.from_regex(r"[a-z]{1,8}", fullmatch=True))
def test_sandbox_paths_and_the_user_name_never_survive(before: str, after: str, leaf: str) -> None:
    scrubber = PROPERTY_SCRUBBER
    text = f"{before} {SANDBOX}/{leaf} /home/{USER}/{leaf} by {USER} {after}"
    out = scrubber.text(text)
    assert str(SANDBOX) not in out
    assert USER not in out
    assert "/home/" not in out


def test_every_string_field_of_a_result_is_scrubbed(scrubber: Scrubber, tmp_path: Path) -> None:
    @check("demo")
    def leaky(_ctx: QAContext) -> None:
        raise CheckFailedError(
            f"wrote {SANDBOX}/home/config.yaml as {USER}",
            {
                "path": f"/home/{USER}/x",
                "nested": [{"ip": "192.168.3.4", "url": "redis://:pw@127.0.0.1:1/0"}],
            },
        )

    result = run_check(leaky, QAContext(sandbox=tmp_path), scrubber)
    assert result == CheckResult(
        test="leaky",
        category="demo",
        status=Status.FAIL,
        duration=result.duration,
        error="wrote <sandbox>/home/config.yaml as <user>",
        details={"path": "~/x", "nested": [{"ip": "<ip>", "url": "redis://:***@127.0.0.1:1/0"}]},
    )


def test_host_names_and_passwords_are_masked_but_loopback_kept(scrubber: Scrubber) -> None:
    host = socket.gethostname()
    out = scrubber.text(f"on {host} password=hunter2 listening 127.0.0.1 and 10.1.2.3, v1.2.3")
    assert out == "on <host> password=*** listening 127.0.0.1 and <ip>, v1.2.3"
