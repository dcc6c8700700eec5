"""Unit tests of the filters of the airflow role's preflight: value_drift, invalid_env_entries and
config_option_names."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter import config_option_names as config_module
from ansible_collections.airflow_deploy.cluster.plugins.filter import invalid_env_entries as env_module
from ansible_collections.airflow_deploy.cluster.plugins.filter import value_drift as drift_module
from ansible_collections.airflow_deploy.cluster.plugins.filter.config_option_names import config_option_names
from ansible_collections.airflow_deploy.cluster.plugins.filter.invalid_env_entries import invalid_env_entries
from ansible_collections.airflow_deploy.cluster.plugins.filter.value_drift import value_drift

SECRET = "a-secret-value-that-must-never-be-printed"


def test_value_drift_names_the_groups_in_host_order_without_values() -> None:
    values = {"node-a": {"jwt": SECRET}, "node-b": {"jwt": "other"}, "node-c": {"jwt": SECRET}}
    messages = value_drift(values, ["jwt"], ["node-b", "node-a", "node-c"])
    assert messages == ["jwt differs between hosts (groups of hosts sharing a value: node-b | node-a, node-c)"]
    assert SECRET not in " ".join(messages)


def test_value_drift_is_empty_when_every_host_agrees() -> None:
    assert value_drift({"a": {"x": 1}, "b": {"x": 1}}, ["x"]) == []


def test_value_drift_one_message_per_drifting_name_in_names_order() -> None:
    values = {"a": {"x": 1, "y": 1, "z": 1}, "b": {"x": 2, "y": 1, "z": 2}}
    assert [message.split()[0] for message in value_drift(values, ["z", "y", "x"])] == ["z", "x"]


def test_value_drift_leaves_out_hosts_without_the_name_or_the_keys_under() -> None:
    values: dict[str, Any] = {
        "node-a": {"probe": {"hashes": {"S": "h1"}}},
        "node-b": {"probe": {"hashes": None}},  # no deployed file yet
        "lb": {},  # not an Airflow node
        "node-c": {"probe": {"hashes": {"S": "h2"}}},
    }
    messages = value_drift(values, ["S"], ["node-a", "node-b", "lb", "node-c", "absent"], ["probe", "hashes"],
                           "in /etc/x.env differs between the deployed hosts")
    assert messages == ["S in /etc/x.env differs between the deployed hosts (groups of hosts sharing a value: node-a | node-c)"]
    assert value_drift({"a": {}, "b": {"x": 1}}, ["x"]) == []


@pytest.mark.parametrize(("values", "names", "under"), [(["a"], ["x"], []), ({}, "x", []), ({}, ["x"], "probe")])
def test_value_drift_refuses_bad_arguments(values: Any, names: Any, under: Any) -> None:
    with pytest.raises(AnsibleFilterError):
        value_drift(values, names, under=under)


def test_invalid_env_entries() -> None:
    environment = {"AIRFLOW__CORE__X": "fine", "NOT-VALID": "x", "9LIVES": "x", "QUOTE": "it's", "NEWLINE": "a\nb",
                   "_UNDERSCORE": 1}
    assert invalid_env_entries(environment) == ["NOT-VALID", "9LIVES", "QUOTE", "NEWLINE"]
    assert invalid_env_entries({}) == []
    with pytest.raises(AnsibleFilterError):
        invalid_env_entries(["A"])  # type: ignore[arg-type]


def test_config_option_names() -> None:
    config = {"core": {"fernet_key": "x", "executor": "LocalExecutor"}, "api": {}, "celery": {"broker_url": "r"}}
    assert config_option_names(config) == ["core.fernet_key", "core.executor", "celery.broker_url"]
    with pytest.raises(AnsibleFilterError):
        config_option_names({"core": "not a section"})  # type: ignore[dict-item]


@pytest.mark.parametrize("module", [drift_module, env_module, config_module])
def test_filters_are_registered_under_their_file_name(module: Any) -> None:
    name = module.__name__.rsplit(".", 1)[1]
    assert module.FilterModule().filters() == {name: getattr(module, name)}
