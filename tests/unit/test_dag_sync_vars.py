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


SYNCED = contents(status(True), status(True))
NOT_CHANGED: dict[str, Any] = {"changed": False, "changed_paths": []}
UNIT_AS_FOUND: dict[str, Any] = {"changed": False, "skipped": True}
SETTLED_CASES: dict[str, dict[str, Any]] = {
    "preflight_synced_nothing_changed": {"__airflow_dag_sync_probe": SYNCED, "__airflow_dag_sync_engine_result": NOT_CHANGED,
                                         "__airflow_unit": UNIT_AS_FOUND},
    "engine_files_changed": {"__airflow_dag_sync_probe": SYNCED, "__airflow_unit": UNIT_AS_FOUND,
                             "__airflow_dag_sync_engine_result": {"changed": True, "changed_paths": ["/etc/airflow/dag-sync.json"]}},
    "engine_started": {"__airflow_dag_sync_probe": SYNCED, "__airflow_dag_sync_engine_result": NOT_CHANGED,
                       "__airflow_unit": {"changed": True, "started": True, "file_changed": True}},
    "preflight_one_unsynced": {"__airflow_dag_sync_probe": contents(None, status(True)),
                               "__airflow_dag_sync_engine_result": NOT_CHANGED, "__airflow_unit": UNIT_AS_FOUND},
    "no_preflight_probe": {"__airflow_dag_sync_engine_result": NOT_CHANGED, "__airflow_unit": UNIT_AS_FOUND},
}


@pytest.fixture(scope="module")
def settled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    play_vars = {"airflow_dag_sync_root": "/var/lib/airflow/dags", "airflow_dag_sync_tenants": TENANTS,
                 "airflow_venv_dir": "/opt/airflow", "airflow_config_dir": "/etc/airflow"}
    expression = "{{ {'settled': __airflow_dag_sync_settled | bool, 'unsynced': __airflow_dag_sync_unsynced} }}"
    return render(tmp_path_factory.mktemp("dag_sync_settled"), "airflow_dag_sync", expression, SETTLED_CASES, play_vars)


def test_no_wait_when_the_preflight_found_every_tenant_synced_and_nothing_changed(settled: dict[str, Any]) -> None:
    assert settled["preflight_synced_nothing_changed"] == {"settled": True, "unsynced": []}


@pytest.mark.parametrize("case", ["engine_files_changed", "engine_started", "preflight_one_unsynced", "no_preflight_probe"])
def test_the_wait_runs_after_any_change_or_without_a_synced_preflight(settled: dict[str, Any], case: str) -> None:
    assert settled[case]["settled"] is False


def test_the_preflight_status_names_the_unsynced_tenants_until_the_wait_reads_again(settled: dict[str, Any]) -> None:
    assert settled["preflight_one_unsynced"]["unsynced"] == ["team_a"]
