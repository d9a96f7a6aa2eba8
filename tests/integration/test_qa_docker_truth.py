"""The Docker check against a real dockerd: the detector and the docker CLI agree."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import pytest

from mycelium.qa.checklist import QAContext
from mycelium.qa.checks.detection import docker_detection_agrees_with_the_docker_cli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.docker_daemon import DockerDaemon

pytestmark = pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI")


def test_a_running_daemon_is_reported_with_the_version_the_cli_reaches(
    docker_daemon: DockerDaemon, tmp_path: Path
) -> None:
    outside = {**os.environ, "DOCKER_HOST": docker_daemon.url, "HOME": str(tmp_path)}
    ctx = QAContext(sandbox=tmp_path, outside_env=outside, outside_home=tmp_path)
    try:
        details = docker_detection_agrees_with_the_docker_cli.run(ctx)
    finally:
        ctx.close()
    assert details is not None
    own = details["own"]
    assert own["cli"]["version"]
    assert own["detector"]["status"] == "available"
    assert own["detector"]["version"] == own["cli"]["version"]
    assert own["detector"]["endpoint"] == own["cli"]["endpoint"]
