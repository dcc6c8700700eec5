"""Bad inputs fail in preflight, with a message naming the variable and the fix, and change nothing.

Each case runs the scenario's converge with one bad input against the converged instance, then
checks the failure message, the recap (changed=0) and that the deployed files are untouched.
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

# name: (extra vars, the message expected, further messages expected)
CASES: dict[str, tuple[Any, ...]] = {
    "malformed fernet key": ({"airflow_fernet_key": "not-a-fernet-key"}, "airflow_fernet_key (a 16-character value, not shown) is not a\nFernet key"),
    "short jwt secret": ({"airflow_jwt_secret": "tooshort"}, "airflow_jwt_secret (a 8-character value, not shown) must be at least 32"),
    "airflow 2": ({"airflow_version": "2.10.5"}, "airflow_version '2.10.5' is not an Airflow 3 release"),
    "secret in airflow_config": ({"airflow_config": {"core": {"fernet_key": "x"}}}, "airflow_config.core.fernet_key is set"),
    "dags under /tmp": ({"airflow_dags_dir": "/tmp/dags"}, "airflow_dags_dir is '/tmp/dags': it must be an absolute path outside /tmp"),
    "missing python": ({"airflow_python_executable": "/usr/bin/python3.99"}, "airflow_python_executable is '/usr/bin/python3.99', which does not exist"),
    "no time sync": ({"airflow_time_sync_services": ["nope.service"]}, "None of airflow_time_sync_services (nope.service) is installed"),
    "celery executor": ({"airflow_executor": "LocalExecutor,CeleryExecutor"},
                        "airflow_executor 'LocalExecutor,CeleryExecutor' names CeleryExecutor, which this collection does not configure"),
    "task logs in S3": ({"airflow_remote_log_folder": "s3://airflow-logs", "airflow_remote_log_aws_access_key_id": "AKIAEXAMPLE",
                         "airflow_config": {"logging": {"remote_logging": False}}},
                        "airflow_remote_log_folder 's3://airflow-logs' must be s3://bucket/prefix",
                        "airflow_config also sets logging.remote_logging"),
    # Three bad inputs in one run: the preflight names each.
    "bad env name, base URL and time zone": (
        {"airflow_environment": {"NOT-VALID": "x"}, "airflow_base_url": "airflow.example.internal",
         "airflow_timezone": "Asia/Seol"},
        "airflow_environment has an entry 'NOT-VALID'",
        "airflow_base_url 'airflow.example.internal' is not an http:// or https:// URL",
        "airflow_timezone 'Asia/Seol' is not a time zone name Airflow accepts",
    ),
}


def _checksums(host: Any) -> dict[str, str]:
    return {path: host.file(path).sha256sum for path in WATCHED}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_in_preflight(host: Any, case: str) -> None:
    extra_vars, message, *more_messages = CASES[case]
    before = _checksums(host)
    output = assert_fails_in_preflight(extra_vars, message)
    for other in more_messages:
        assert " ".join(other.split()) in " ".join(output.split()), f"{case}: '{other}' not in the output"
    for secret in ("not-a-fernet-key", "tooshort"):
        if secret in json.dumps(extra_vars):
            assert secret not in output, f"{case}: the secret value appears in the output"
    assert _checksums(host) == before


# Inputs the preflight cannot judge, refused by the installed Airflow before airflow.cfg is replaced
# (the template's validate, files/validate_airflow_cfg.py): the run stops with the file unchanged.
CONFIG_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "misspelt option and section": (
        {"airflow_config": {"core": {"paralelism": 8}, "scheduller": {"parsing_processes": 2}}},
        ["[core] paralelism is not an option of this Airflow", "[scheduller] is not a section of this Airflow"]),
    "auth manager that does not import": (
        {"airflow_auth_manager": "airflow.providers.nope.NopeAuthManager"},
        ["[core] auth_manager airflow.providers.nope.NopeAuthManager: cannot be imported"]),
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
