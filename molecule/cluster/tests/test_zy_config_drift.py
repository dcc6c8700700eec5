"""Check mode on the converged cluster changes nothing and prints no secret; a hand-edited airflow.cfg
on one node is repaired by the next run, which restarts that node only. Runs after the rolling tests
(file name) and before the secret-drift test, which edits a node."""

from __future__ import annotations

import subprocess
from typing import Any

from conftest import ansible_playbook, inventory_var, recap

NODES = ["cl-airflow1", "cl-airflow2", "cl-airflow3"]
CONFIG = "/etc/airflow/airflow.cfg"
UNITS = ["airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"]
SECRETS = ["airflow_fernet_key", "airflow_api_secret_key", "airflow_jwt_secret", "airflow_metadata_db_password",
           "airflow_metadata_db_admin_password", "airflow_dag_sync_aws_secret_access_key"]


def _docker(node: str, *command: str) -> str:
    return subprocess.run(["docker", "exec", node, *command], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def _pids(node: str) -> dict[str, str]:
    return {unit: _docker(node, "systemctl", "show", "-p", "MainPID", "--value", unit).strip() for unit in UNITS}


def test_check_mode_with_diff_changes_nothing_and_prints_no_secret(host: Any) -> None:
    result = ansible_playbook("playbooks/site.yml", "--check", "--diff")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    changed = {name: counters["changed"] for name, counters in recap(result.stdout).items()}
    assert set(changed.values()) == {0}, changed
    for name in SECRETS:
        assert str(inventory_var(host, name)) not in output, f"{name} appears in the output"


def test_a_hand_edited_airflow_cfg_is_repaired_and_only_its_node_restarts() -> None:
    wanted = _docker("cl-airflow1", "sha256sum", CONFIG).split()[0]
    _docker("cl-airflow2", "sh", "-c", f"sed -i 's/^load_examples = .*/load_examples = True/' {CONFIG}")
    assert _docker("cl-airflow2", "sha256sum", CONFIG).split()[0] != wanted, "the edit did not change the file"
    before = {node: _pids(node) for node in NODES}
    result = ansible_playbook("playbooks/site.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    counters = recap(result.stdout)
    print({node: counters[node]["changed"] for node in NODES})
    assert _docker("cl-airflow2", "sha256sum", CONFIG).split()[0] == wanted, "airflow.cfg was not repaired"
    after = {node: _pids(node) for node in NODES}
    assert all(after["cl-airflow2"][unit] != before["cl-airflow2"][unit] for unit in UNITS), (before, after)
    assert after["cl-airflow1"] == before["cl-airflow1"] and after["cl-airflow3"] == before["cl-airflow3"], (before, after)
    # cl-airflow2 changed its file; the first host of the play runs the one-host-at-a-time restart of
    # cl-airflow2 (drain, restart, gate, enable: delegated tasks counted as its own); nothing else changed.
    assert counters["cl-airflow2"]["changed"] >= 1 and counters["cl-airflow3"]["changed"] == 0, counters
