"""The airflow_dag_sync role's wait for the first sync: which tenants have not synced and why,
rendered by Ansible on the controller from a registered host_probe result (no host is touched)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "airflow_dag_sync"
BIN = Path(sys.executable).parent
STATUS_DIR = "/var/lib/airflow/dags/.status"
TENANTS = [{"name": "team_a", "prefix": "team_a"}, {"name": "team_b", "prefix": "team_b"}]


def status(ok: bool, error: str | None = None) -> str:
    """A status file of the sync engine, as the probe reads it."""
    return json.dumps({"ok": ok, "last_error": error, "tenant": "x"}, indent=2)


def contents(team_a: str | None, team_b: str | None) -> dict[str, Any]:
    return {"contents": {f"{STATUS_DIR}/team_a.json": team_a, f"{STATUS_DIR}/team_b.json": team_b}}


CASES: dict[str, dict[str, Any]] = {
    "all_synced": contents(status(True), status(True)),
    "one_failing": contents(status(True), status(False, "AccessDenied on s3://dags/team_b/")),
    "one_not_started": contents(None, status(True)),
    "failing_without_error": contents(status(False), status(True)),
}
EXPRESSION = "{{ {'files': __airflow_dag_sync_status_files, 'unsynced': __airflow_dag_sync_unsynced, 'detail': __airflow_dag_sync_unsynced_detail} }}"


def render(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Run one playbook with a debug task per case; the rendered values per case."""
    tasks = [{"name": name, "ansible.builtin.debug": {"msg": EXPRESSION}, "vars": {"__airflow_dag_sync_status": probe}}
             for name, probe in CASES.items()]
    play = {"name": "Render", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars": {"airflow_dag_sync_root": "/var/lib/airflow/dags", "airflow_dag_sync_tenants": TENANTS,
                     "airflow_venv_dir": "/opt/airflow", "airflow_config_dir": "/etc/airflow"},
            "vars_files": [str(ROLE / "vars" / "main.yml")], "tasks": tasks}
    playbook = tmp_path / "render.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    env = {**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_LOCALHOST_WARNING": "false",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"}
    run = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], env=env, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    tasks_out = json.loads(run.stdout)["plays"][0]["tasks"]
    return {task["task"]["name"]: task["hosts"]["localhost"]["msg"] for task in tasks_out}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return render(tmp_path_factory.mktemp("dag_sync_vars"))


def test_one_status_file_per_tenant(rendered: dict[str, dict[str, Any]]) -> None:
    assert rendered["all_synced"]["files"] == [f"{STATUS_DIR}/team_a.json", f"{STATUS_DIR}/team_b.json"]


def test_every_tenant_synced(rendered: dict[str, dict[str, Any]]) -> None:
    assert rendered["all_synced"]["unsynced"] == []
    assert not rendered["all_synced"]["detail"]  # an empty template renders as None


def test_a_failing_tenant_is_named_with_its_error(rendered: dict[str, dict[str, Any]]) -> None:
    assert rendered["one_failing"]["unsynced"] == ["team_b"]
    assert rendered["one_failing"]["detail"] == "team_b (AccessDenied on s3://dags/team_b/)"


def test_a_tenant_without_status_file_has_not_synced(rendered: dict[str, dict[str, Any]]) -> None:
    assert rendered["one_not_started"]["unsynced"] == ["team_a"]
    assert rendered["one_not_started"]["detail"] == "team_a (no status file yet)"


def test_a_failure_without_error_text_says_so(rendered: dict[str, dict[str, Any]]) -> None:
    assert rendered["failing_without_error"]["detail"] == "team_a (no error recorded)"
