"""``mycelium-qa`` on the built wheel alone, in a fresh virtualenv, as a QA host runs it.

The broken variants prove the checklist catches real defects: each test breaks the
installed package in one way and shows the check that must notice it reports ``fail``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mycelium.qa.report import QAReport, Status
from mycelium.release.dev.build import build

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ProductVenv:
    root: Path
    package: Path  # site-packages/mycelium
    pristine: Path  # a copy to restore from

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def qa(self, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PATH": path if path is not None else f"{self.bin}:{os.environ['PATH']}",
        }
        return subprocess.run(
            [str(self.bin / "mycelium-qa"), *args],
            capture_output=True, text=True, timeout=600, check=False, env=env,
        )  # fmt: skip

    def restore(self) -> None:
        shutil.rmtree(self.package)
        shutil.copytree(self.pristine, self.package)

    def patch(self, relative: str, old: str, new: str) -> None:
        target = self.package / relative
        text = target.read_text()
        assert old in text, f"{relative} no longer contains the text this variant replaces"
        target.write_text(text.replace(old, new, 1))

    def append(self, relative: str, code: str) -> None:
        target = self.package / relative
        target.write_text(target.read_text() + "\n" + code)


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> ProductVenv:
    base = tmp_path_factory.mktemp("product")
    wheel = build(ROOT, out_dir=base / "dist").wheel
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "uv is needed to make the virtualenv"
    venv = base / "venv"
    subprocess.run(
        [uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=120
    )
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True, timeout=600,
    )  # fmt: skip
    package = next((venv / "lib").glob("python3.*/site-packages/mycelium"))
    pristine = base / "pristine"
    shutil.copytree(package, pristine)
    return ProductVenv(root=venv, package=package, pristine=pristine)


@pytest.fixture
def broken(product: ProductVenv) -> Iterator[ProductVenv]:
    try:
        yield product
    finally:
        product.restore()


def statuses(proc: subprocess.CompletedProcess[str]) -> dict[str, Status]:
    report = QAReport.model_validate_json(proc.stdout)
    return {r.test: r.status for r in report.results}


def test_the_wheel_alone_passes_the_whole_checklist(product: ProductVenv, tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    proc = product.qa("--report", str(report_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    report = QAReport.model_validate_json(report_path.read_text())
    assert report.summary.failed == report.summary.errors == 0
    ran = {r.category for r in report.results if r.status is Status.PASS}
    assert ran == {"installation", "detection", "wizard", "configuration", "generation",
                   "coordination", "platform", "performance"}  # fmt: skip


def test_without_redis_server_the_checks_that_need_it_are_skipped_with_the_reason(
    product: ProductVenv,
) -> None:
    # Only the virtualenv on PATH: no redis-server, no docker-compose, no just. (This
    # machine runs no Redis of its own on 6379: the tests start theirs on free ports.)
    proc = product.qa("--json", "--only", "detection,coordination", path=str(product.bin))
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = {r["test"]: r for r in json.loads(proc.stdout)["results"]}
    skipped = results["a_running_redis_is_detected_with_its_version"]
    assert skipped["status"] == "skip"
    assert skipped["error"] == "redis-server is not installed on this host"
    for name in ("pubsub_delivers_every_message_in_order", "taskqueue_survives_a_killed_worker",
                 "barrier_lets_nobody_pass_early"):  # fmt: skip
        assert results[name]["status"] == "skip"
        assert results[name]["error"] == (
            "redis-server is not installed on this host, and no Redis answers on 127.0.0.1:6379"
        )


def test_a_detector_that_always_says_available_is_caught(broken: ProductVenv) -> None:
    broken.append(
        "detection/redis.py",
        "_real_probe_redis = probe_redis\n\n\n"
        "def probe_redis(port, **kwargs):  # broken on purpose: every port has a Redis\n"
        "    from dataclasses import replace\n"
        "    return replace(_real_probe_redis(port, **kwargs), status=Status.AVAILABLE)\n",
    )
    proc = broken.qa("--json", "--only", "detection")
    assert proc.returncode == 1
    found = statuses(proc)
    assert found["a_closed_port_is_reported_unavailable"] is Status.FAIL
    assert found["a_silent_listener_is_no_answer"] is Status.FAIL


def test_a_console_script_that_crashes_is_caught(broken: ProductVenv) -> None:
    broken.patch(
        "cli/test.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nraise RuntimeError('broken on purpose')\n",
    )
    proc = broken.qa("--json", "--only", "installation")
    assert proc.returncode == 1
    found = statuses(proc)
    assert found["console_scripts_answer_help"] is Status.FAIL
    report = QAReport.model_validate_json(proc.stdout)
    failure = next(r for r in report.results if r.test == "console_scripts_answer_help")
    assert failure.error is not None
    assert "mycelium-test --help exited 1" in failure.error


def test_a_template_that_renders_invalid_yaml_is_caught(broken: ProductVenv) -> None:
    broken.append("generators/templates/docker-compose.yml.j2", "services: [unclosed\n")
    proc = broken.qa("--json", "--only", "generation")
    assert proc.returncode == 1
    found = statuses(proc)
    assert found["compose_file_is_valid_yaml_bound_to_loopback"] is Status.FAIL


def test_a_generator_that_writes_env_world_readable_is_caught(broken: ProductVenv) -> None:
    broken.patch("generators/plan.py", "SECRET_MODE: Final = 0o600", "SECRET_MODE: Final = 0o644")
    proc = broken.qa("--json", "--only", "generation")
    assert proc.returncode == 1
    assert statuses(proc)["env_file_is_private"] is Status.FAIL
