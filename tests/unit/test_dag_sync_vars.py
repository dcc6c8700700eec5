"""The airflow_dag_sync role's wait for the first sync: which tenants have not synced and why,
rendered by Ansible on the controller from a registered host_probe result (no host is touched)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from role_vars import render

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


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    cases = {name: {"__airflow_dag_sync_status": probe} for name, probe in CASES.items()}
    play_vars = {"airflow_dag_sync_root": "/var/lib/airflow/dags", "airflow_dag_sync_tenants": TENANTS,
                 "airflow_venv_dir": "/opt/airflow", "airflow_config_dir": "/etc/airflow"}
    return render(tmp_path_factory.mktemp("dag_sync_vars"), "airflow_dag_sync", EXPRESSION, cases, play_vars)


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
