"""Dotted keys for get/set, and the warnings that --strict turns into failures."""

from __future__ import annotations

import socket

import pytest

from mycelium.config import MyceliumConfig
from mycelium.config.checks import find_warnings
from mycelium.config.keys import get_value, set_value, split_key
from mycelium.errors import UsageError


def test_set_reads_the_value_as_yaml_so_numbers_stay_numbers() -> None:
    data = set_value(MyceliumConfig().revealed(), ("services", "redis", "port"), "6380")
    assert data["services"]["redis"]["port"] == 6380
    assert MyceliumConfig.model_validate(data).services.redis.port == 6380


def test_set_does_not_change_the_data_it_was_given() -> None:
    original = MyceliumConfig().revealed()
    set_value(original, ("project_name",), "other")
    assert original["project_name"] == "mycelium"


def test_an_unknown_key_suggests_the_full_path() -> None:
    with pytest.raises(UsageError) as info:
        get_value(MyceliumConfig().redacted(), split_key("services.redis.prot"))
    assert (
        str(info.value) == "services.redis.prot: unknown setting; did you mean services.redis.port?"
    )


def test_a_key_below_a_plain_value_is_refused() -> None:
    with pytest.raises(UsageError) as info:
        get_value(MyceliumConfig().redacted(), split_key("project_name.x"))
    assert str(info.value) == "project_name is a single value; it has no setting 'x'"


@pytest.mark.parametrize("key", ["", "services..port", ".redis"])
def test_a_malformed_key_is_a_usage_error(key: str) -> None:
    with pytest.raises(UsageError, match="is not a setting name"):
        split_key(key)


def test_the_defaults_raise_no_warning_when_their_ports_are_free() -> None:
    assert find_warnings(MyceliumConfig(), probe_ports=False) == []


def test_a_privileged_port_is_a_warning() -> None:
    config = MyceliumConfig.model_validate({"services": {"redis": {"port": 80}}})
    assert find_warnings(config, probe_ports=False) == [
        (
            "services.redis.port: 80 is a privileged port (below 1024); services need root to "
            "listen there, pick one above 1023"
        )
    ]


def test_a_disabled_service_sharing_a_port_is_a_warning() -> None:
    config = MyceliumConfig.model_validate({"services": {"temporal": {"port": 6379}}})
    assert find_warnings(config, probe_ports=False) == [
        (
            "services.temporal.port: 6379 is also services.redis.port (services.temporal is "
            "disabled, but enabling it would clash)"
        )
    ]


def test_a_port_taken_on_this_machine_is_a_warning() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        config = MyceliumConfig.model_validate(
            {"services": {"redis": {"port": port}, "postgres": {"enabled": False}}}
        )
        assert find_warnings(config) == [
            (
                f"services.redis.port: port {port} is already in use on this machine; if that is "
                "not this service already running, choose a free port"
            )
        ]


def test_binding_to_all_interfaces_is_a_warning() -> None:
    config = MyceliumConfig.model_validate({"deployment": {"bind_address": "0.0.0.0"}})
    assert find_warnings(config, probe_ports=False) == [
        (
            "deployment.bind_address: 0.0.0.0 publishes the services beyond this machine; use "
            "127.0.0.1 unless other hosts must connect"
        )
    ]
