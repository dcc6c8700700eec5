"""Bad inputs fail in preflight, with a message naming the variable and the fix, and change nothing.

Each test runs the scenario's converge with bad inputs against the converged instance, then checks
the failure messages, the recap (changed=0) and that the deployed files are untouched. The preflight
evaluates every check of a stage (the inputs, then what it reads from the host) and names every
failure of that stage in one run, so the bad inputs of a stage go in together.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import assert_fails_in_preflight

WATCHED = ["/etc/airflow/airflow.cfg", "/etc/airflow/env.d/00-airflow.env", "/usr/local/bin/airflow"]

# Bad inputs of every kind the preflight checks first (its input stage), all in one run, and the message
# each must produce.
BAD_INPUTS: dict[str, Any] = {
    "airflow_fernet_key": "not-a-fernet-key",
    "airflow_jwt_secret": "tooshort",
    "airflow_version": "2.10.5",
    "airflow_config": {"core": {"fernet_key": "x"}, "logging": {"remote_logging": False}},
    "airflow_dags_dir": "/tmp/dags",
    "airflow_executor": "LocalExecutor,DaskExecutor",
    "airflow_remote_log_folder": "s3://airflow-logs",
    "airflow_remote_log_aws_access_key_id": "AKIAEXAMPLE",
    "airflow_environment": {"NOT-VALID": "x"},
    "airflow_base_url": "airflow.example.internal",
    "airflow_timezone": "Asia/Seol",
}
BAD_INPUT_MESSAGES = [
    "airflow_fernet_key (a 16-character value, not shown) is not a\nFernet key",
    "airflow_jwt_secret (a 8-character value, not shown) must be at least 32",
    "airflow_version '2.10.5' is not an Airflow 3 release",
    "airflow_config.core.fernet_key is set",
    "airflow_dags_dir is '/tmp/dags': it must be an absolute path outside /tmp",
    "airflow_executor 'LocalExecutor,DaskExecutor' names DaskExecutor, which this collection does not configure",
    "airflow_remote_log_folder 's3://airflow-logs' must be s3://bucket/prefix",
    "airflow_config also sets logging.remote_logging",
    "airflow_environment has an entry 'NOT-VALID'",
    "airflow_base_url 'airflow.example.internal' is not an http:// or https:// URL",
    "airflow_timezone 'Asia/Seol' is not a time zone name Airflow accepts",
]
# What the preflight reads from the host, checked once the inputs pass.
BAD_HOST = {"airflow_python_executable": "/usr/bin/python3.99", "airflow_time_sync_services": ["nope.service"]}
BAD_HOST_MESSAGES = [
    "airflow_python_executable is '/usr/bin/python3.99', which does not exist",
    "None of airflow_time_sync_services (nope.service) is installed",
]


def _checksums(host: Any) -> dict[str, str]:
    return {path: host.file(path).sha256sum for path in WATCHED}


@pytest.mark.parametrize(("extra_vars", "messages"), [(BAD_INPUTS, BAD_INPUT_MESSAGES), (BAD_HOST, BAD_HOST_MESSAGES)],
                         ids=["inputs", "host"])
def test_every_bad_input_is_named_in_one_run_and_nothing_changes(host: Any, extra_vars: dict[str, Any],
                                                                 messages: list[str]) -> None:
    before = _checksums(host)
    output = assert_fails_in_preflight(extra_vars, messages[0])
    flat = " ".join(output.split())
    missing = [message for message in messages if " ".join(message.split()) not in flat]
    assert not missing, f"not named: {missing}\n{output[-4000:]}"
    for secret in ("not-a-fernet-key", "tooshort"):
        assert secret not in output, "a secret value appears in the output"
    assert _checksums(host) == before


# Inputs the preflight cannot judge, refused by the installed Airflow before airflow.cfg is replaced
# (the template's validate, files/validate_airflow_cfg.py): the run stops with the file unchanged.
CONFIG_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    # Every problem of a file Airflow loads is named in one run.
    "misspelt option and section, auth manager that does not import": (
        {"airflow_config": {"core": {"paralelism": 8}, "scheduller": {"parsing_processes": 2}},
         "airflow_auth_manager": "airflow.providers.nope.NopeAuthManager"},
        ["[core] paralelism is not an option of this Airflow", "[scheduller] is not a section of this Airflow",
         "[core] auth_manager airflow.providers.nope.NopeAuthManager: cannot be imported"]),
    # A value Airflow's own validator refuses stops the load, so it goes alone.
    "value airflow refuses": (
        {"airflow_config": {"core": {"dag_ignore_file_syntax": "globby"}}},
        ["Airflow refuses the configuration", "dag_ignore_file_syntax"]),
}


@pytest.mark.parametrize("case", CONFIG_CASES, ids=list(CONFIG_CASES))
def test_a_configuration_airflow_refuses_is_never_written(host: Any, case: str) -> None:
    extra_vars, messages = CONFIG_CASES[case]
    before = _checksums(host)
    output = assert_fails_in_preflight(extra_vars, messages[0])
    for message in messages[1:]:
        assert message in output, f"{case}: '{message}' not in the output"
    assert "Render airflow.cfg" in output
    assert _checksums(host) == before


def _two_node_inventory(tmp: Path, second_host_vars: dict[str, str]) -> Path:
    """The same container under two names, both schedulers: a two-node 'cluster' with the
    scenario's group vars (so a host var of node-b can differ from them)."""
    group_vars = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent / "group_vars" / "all"
    # A base-role-only deployment: without the metadata DB role's settings, Airflow's default
    # database (SQLite) is what the preflight sees.
    shared = {key: value for key, value in yaml.safe_load(group_vars.read_text()).items()
              if not key.startswith("airflow_metadata_db_")}
    inventory = {
        "all": {
            "children": {
                "airflow_schedulers": {
                    "hosts": {
                        "node-a": {},
                        "node-b": second_host_vars,
                    }
                }
            },
            "vars": shared
            | {
                "ansible_connection": "community.docker.docker",
                "ansible_host": "mol-airflow",
                "ansible_user": "root",
            },
        }
    }
    path = tmp / "two-nodes.yml"
    path.write_text(json.dumps(inventory))
    return path


def _run_two_nodes(second_host_vars: dict[str, str], extra: dict[str, Any], message: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        inventory = _two_node_inventory(Path(tmp), second_host_vars)
        return assert_fails_in_preflight(extra, message, inventory=str(inventory))


def test_sqlite_refused_with_two_schedulers(host: Any) -> None:
    before = _checksums(host)
    _run_two_nodes({}, {}, "2 hosts run a scheduler (node-a, node-b) but the metadata database is SQLite")
    assert _checksums(host) == before


def test_one_bad_host_stops_every_host(host: Any) -> None:
    before = _checksums(host)
    output = _run_two_nodes(
        {"airflow_log_dir": "/tmp/logs"},
        {"airflow_secret_environment": {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://db/airflow"}},
        "airflow_log_dir is '/tmp/logs'",
    )
    assert "Preflight failed on node-b; nothing was changed on any host" in " ".join(output.split())
    assert _checksums(host) == before


def test_secret_drift_between_hosts_refused(host: Any) -> None:
    drifted = "drifted-jwt-secret-on-one-node-0123456789"
    before = _checksums(host)
    output = _run_two_nodes(
        {"airflow_jwt_secret": drifted},
        {"airflow_secret_environment": {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://db/airflow"}},
        "airflow_jwt_secret differs between hosts (groups of hosts sharing a value: node-a | node-b)",
    )
    assert drifted not in output
    assert _checksums(host) == before
