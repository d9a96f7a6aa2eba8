"""monitoring/ as code: the rules under promtool, the compose file under docker-compose and
our lint, and every dashboard expression evaluated by a real Prometheus scraping the real
collector."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from mycelium.telemetry.collector.metrics import METRIC_NAMES, Metrics
from tests.integration.servers import free_port, log_tail, require
from tests.integration.telemetry_lab import event, post, post_event, running_collector, wait_for

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mycelium.telemetry.collector.service import CollectorServer

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "mycelium.json"
ALERTS = MONITORING / "prometheus" / "alerts.yml"
COMPOSE = MONITORING / "docker-compose.monitoring.yml"
JOB = "mycelium-telemetry"
_METRIC = re.compile(r"\b(mycelium_[a-z_]+|up)\b")


def dashboard_exprs() -> dict[str, str]:
    data = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return {
        f"{panel['title']} [{target['refId']}]": target["expr"]
        for panel in data["panels"]
        for target in panel["targets"]
    }


def alert_exprs() -> dict[str, str]:
    data = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return {rule["alert"]: rule["expr"] for group in data["groups"] for rule in group["rules"]}


# --- promtool ---------------------------------------------------------------------------


def test_promtool_accepts_the_rules_and_their_tests_pass() -> None:
    promtool = str(require("promtool"))
    check = subprocess.run(
        [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    tested = subprocess.run(
        [promtool, "test", "rules", str(ALERTS.with_name("alerts_test.yml"))],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_promtool_accepts_the_scrape_config(tmp_path: Path) -> None:
    # The config names /etc/prometheus/alerts.yml (the container's path): check a copy.
    config = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    config["rule_files"] = [str(ALERTS)]
    copy = tmp_path / "prometheus.yml"
    copy.write_text(yaml.safe_dump(config), encoding="utf-8")
    done = subprocess.run(
        [str(require("promtool")), "check", "config", str(copy)], capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


# --- names agree ------------------------------------------------------------------------


def test_every_expression_reads_only_metrics_the_collector_exports() -> None:
    exported = Metrics().names() | {"up"}
    assert set(METRIC_NAMES) <= exported
    for where, expr in {**dashboard_exprs(), **alert_exprs()}.items():
        names = set(_METRIC.findall(expr))
        assert names, where
        assert names <= exported, f"{where}: {sorted(names - exported)}"


def test_the_dashboard_has_the_seeds_panels_and_the_two_more() -> None:
    titles = [name.rsplit(" [", 1)[0] for name in dashboard_exprs()]
    for wanted in (
        "Wizard completions",
        "Installations by platform",
        "Deployments by method",
        "Errors by operation",
        "Error rate by operation",
        "Rejected events by reason",
    ):
        assert any(title.startswith(wanted) for title in titles), wanted


# --- the compose file -------------------------------------------------------------------


def test_the_compose_file_is_valid_and_passes_the_security_lint(
    console_script: Callable[[str], str],
) -> None:
    compose = shutil.which("docker-compose")
    assert compose is not None, "docker-compose is not installed; run `uv run invoke test`"
    env = {**os.environ, "GRAFANA_ADMIN_PASSWORD": "from-the-env-file"}
    valid = subprocess.run(
        [compose, "-f", str(COMPOSE), "config", "-q"], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert valid.returncode == 0, valid.stderr
    env.pop("GRAFANA_ADMIN_PASSWORD")
    unset = subprocess.run(
        [compose, "-f", str(COMPOSE), "config", "-q"], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert unset.returncode != 0
    assert "set GRAFANA_ADMIN_PASSWORD in monitoring/.env" in unset.stderr
    lint = subprocess.run(
        [console_script("mycelium-generate"), "--check", str(COMPOSE)], capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout
    assert "no insecure setting found" in lint.stdout


# --- a real Prometheus ------------------------------------------------------------------


class Prometheus:
    def __init__(self, workdir: Path, target: str) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.log = workdir / "prometheus.log"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": [target]}]}],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Prometheus:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(require("prometheus")),
                 f"--config.file={self.workdir / 'prometheus.yml'}",
                 f"--storage.tsdb.path={self.workdir / 'data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                stdout=out, stderr=out, cwd=self.workdir,
            )  # fmt: skip
        if not wait_for(self._ready, timeout_s=60):
            self.stop()
            pytest.fail(f"prometheus did not become ready:\n{log_tail(self.log)}")
        return self

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            pytest.fail(f"prometheus exited {self.proc.returncode}:\n{log_tail(self.log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2):
                return True
        except OSError:
            return False

    def query(self, expr: str, at: float | None = None) -> dict[str, float]:
        """``{label values joined: value}`` of an instant query (``""`` for no labels)."""
        params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
        url = f"http://127.0.0.1:{self.port}/api/v1/query?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as answer:
            data = json.load(answer)
        assert data["status"] == "success", data
        return {
            ",".join(v for k, v in sorted(r["metric"].items()) if k != "__name__"): float(
                r["value"][1]
            )
            for r in data["data"]["result"]
        }

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def scraped(tmp_path: Path) -> Iterator[tuple[CollectorServer, Prometheus]]:
    with running_collector() as collector:
        prometheus = Prometheus(tmp_path, f"127.0.0.1:{collector.server_address[1]}").start()
        try:
            yield collector, prometheus
        finally:
            prometheus.stop()


SENT = [
    *[event("wizard_completed", session=f"{i:032x}") for i in range(3)],
    event("deployment_generated", method="justfile", session="a" * 32),
    event("deployment_generated", method="justfile", session="b" * 32),
    event("deployment_generated", method="docker-compose", session="c" * 32),
    event("coordination_test_run", session="d" * 32),
    event("coordination_test_run", session="e" * 32),
    event("installation", os_family="linux", session="f" * 32),
    event("installation", os_family="linux", session="1" * 32),
    event("installation", os_family="macos", session="2" * 32),
    event("error", operation="generate", session="3" * 32),
    event("error", operation="generate", session="4" * 32),
    event("error", operation="test", session="5" * 32),
]
COMMANDS = 11  # the events that are not installations

EXPECTED: dict[str, dict[str, float]] = {
    "Wizard completions (per hour) [A]": {"": 3},
    "Installations by platform (last 24 h) [A]": {"linux": 2, "macos": 1, "wsl": 0, "other": 0},
    "Deployments by method (last 24 h) [A]": {"justfile": 2, "docker-compose": 1, "other": 0},
    "Errors by operation (per hour) [A]": {
        "generate": 2, "test": 1, "onboarding": 0, "configuration": 0, "other": 0,
    },
    "Error rate by operation [A]": {
        "generate": 2 / COMMANDS, "test": 1 / COMMANDS, "onboarding": 0, "configuration": 0,
        "other": 0,
    },
    "Coordination test runs (per hour) [A]": {"": 2},
    "Rejected events by reason (per hour) [A]": {
        "off_schema": 1, "malformed": 1, "oversized": 0, "rate_limited": 0,
    },
    "Events received (per hour) [A]": {
        "wizard_completed": 3, "deployment_generated": 3, "coordination_test_run": 2,
        "installation": 3, "error": 3, "other": 0,
    },
}  # fmt: skip


def test_every_dashboard_expression_returns_what_the_clients_sent(
    scraped: tuple[CollectorServer, Prometheus],
) -> None:
    collector, prometheus = scraped
    # Prometheus first sees every series at zero, then the counts: increase() is exact.
    instance = f"127.0.0.1:{collector.server_address[1]},{JOB}"
    up_query = f'up{{job="{JOB}"}}'
    assert wait_for(lambda: prometheus.query(up_query) == {instance: 1.0}), log_tail(prometheus.log)
    assert wait_for(lambda: bool(prometheus.query("mycelium_events_total")))
    for data in SENT:
        assert post_event(collector, data) == 202
    assert post_event(collector, event(hostname="build-7")) == 422
    assert post(collector, b"{nope") == 400
    total = float(len(SENT))
    assert wait_for(lambda: prometheus.query("sum(mycelium_events_total)") == {"": total})
    assert wait_for(lambda: prometheus.query("sum(mycelium_rejected_events_total)") == {"": 2.0})
    # Evaluated at the last scrape's own time: nothing to extrapolate past it.
    (at,) = prometheus.query("max(timestamp(mycelium_rejected_events_total))").values()
    exprs = dashboard_exprs()
    assert set(exprs) == set(EXPECTED)
    for where, expr in exprs.items():
        got = prometheus.query(expr, at)
        assert got.keys() == EXPECTED[where].keys(), where
        for key, value in EXPECTED[where].items():
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), f"{where} {key}"
    up = prometheus.query(f'up{{job="{JOB}"}}', at)
    assert list(up.values()) == [1.0]
