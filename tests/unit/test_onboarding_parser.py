"""``mycelium-onboarding``'s command line: fast to parse, strict about what goes together."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mycelium.cli import onboarding


def test_its_parser_loads_no_heavy_library() -> None:
    code = (
        "import sys\nfrom mycelium.cli import onboarding\nonboarding.build_parser()\n"
        "print('\\n'.join(sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = {name.split(".")[0] for name in out.split()}
    assert loaded.isdisjoint({"pydantic", "yaml", "redis", "psycopg", "questionary", "tabulate"})


def test_json_without_detect_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        onboarding.main(["--json"])
    assert caught.value.code == 2
    assert "--json goes with --detect" in capsys.readouterr().err


def test_the_flags_map_to_answers() -> None:
    args = onboarding.build_parser().parse_args(
        ["--non-interactive", "--services", "redis,postgres", "--method", "justfile",
         "--output-dir", "ops", "--postgres-port", "5433", "--yes"]
    )  # fmt: skip
    assert onboarding._presets(args) == {
        "services": ("redis", "postgres"),
        "method": "justfile",
        "output_dir": "ops",
        "port.postgres": "5433",
        "confirm": True,
    }
