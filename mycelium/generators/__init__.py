"""Deployment files from a configuration: ``docker-compose.yml``, a ``Justfile``, ``.env``.

The generators are pure functions of the configuration (and the secrets already in
``.env``) to text, rendered from Jinja2 templates shipped in ``templates/``;
:func:`~mycelium.generators.plan.build_plan` gathers them into a plan, and
:func:`~mycelium.generators.writer.apply` writes it. :mod:`.lint` checks a Compose file.
"""

from __future__ import annotations

from mycelium.generators.compose import DockerComposeGenerator
from mycelium.generators.envfile import SecretsGenerator
from mycelium.generators.justfile import JustfileGenerator

__all__ = ["DockerComposeGenerator", "JustfileGenerator", "SecretsGenerator"]
