"""Random YAML and random values: the loader returns a config or our own error, nothing else,
and never touches the file it read."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mycelium.config import ConfigStore, MyceliumConfig
from mycelium.config.paths import ConfigLocation, Source
from mycelium.errors import ConfigError

KEYS = st.sampled_from(
    ["services", "redis", "postgres", "temporal", "taskqueue", "port", "enabled", "host",
     "deployment", "method", "output_dir", "bind_address", "project_name", "schema_version",
     "password", "backend", "prot", "x"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.text(max_size=20), st.sampled_from(["docker-compose", "justfile", "redis", "127.0.0.1"]),
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=12,
)


def check_load(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(text, encoding="utf-8")
        before = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
        loaded = None
        with contextlib.suppress(ConfigError):
            loaded = ConfigStore(ConfigLocation(path, Source.OPTION)).load()
        assert loaded is None or isinstance(loaded.config, MyceliumConfig)
        after = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
        assert before == after
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["config.yaml"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, VALUES, max_size=5))
def test_random_structures_load_or_raise_config_error(data: dict[str, Any]) -> None:
    check_load(yaml.safe_dump(data))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_loads_or_raises_config_error(text: str) -> None:
    check_load(text)


@settings(max_examples=200, deadline=None)
@given(
    port=st.integers(-5, 70_000),
    host=st.text(max_size=30),
    method=st.text(max_size=15),
    name=st.text(max_size=70),
)
def test_random_field_values_load_or_raise_config_error(
    port: int, host: str, method: str, name: str
) -> None:
    data = {"project_name": name, "services": {"redis": {"port": port, "host": host}},
            "deployment": {"method": method}}  # fmt: skip
    check_load(yaml.safe_dump(data))
