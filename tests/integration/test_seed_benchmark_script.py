"""The seed's own Task 10.2 benchmark script runs, as written, against the installed package.

``tests/data/seed/performance_benchmark.py`` is the script copied byte for byte from the
seed (100 iterations of each operation, 10 warm-ups); nothing in it is patched. Docker
detection is pointed at a socket nothing serves, so it answers at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "data" / "seed" / "performance_benchmark.py"
OPERATIONS = (
    "Docker Detection",
    "Redis Detection",
    "Full Infrastructure Scan",
    "Configuration Validation",
    "Docker Compose Generation",
    "Justfile Generation",
)


def test_the_seeds_script_runs_unchanged_and_reports_every_operation(tmp_path: Path) -> None:
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path / 'no-docker.sock'}"}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Performance Benchmark Report" in proc.stdout
    for name in OPERATIONS:
        assert f"Benchmarking: {name}" in proc.stdout
        assert f" {name}: " in proc.stdout  # its line in the report, PASS or SLOW
    assert "Profiling: Full Infrastructure Scan (detailed)" in proc.stdout
    assert "Ordered by: cumulative time" in proc.stdout
