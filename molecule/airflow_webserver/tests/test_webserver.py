"""The api-server: health without login, authentication, Execution API, restart on change."""

from __future__ import annotations

import json
from typing import Any

from conftest import ansible_playbook, api, assert_service_running, recap, token


def test_unit_running_and_enabled(host: Any) -> None:
    assert_service_running(host, "airflow-api-server")


def test_version_without_login(host: Any) -> None:
    status, body = api(host, "GET", "/api/v2/version")
    assert (status, body["version"]) == (200, "3.3.2")


def test_monitor_health_reads_the_database(host: Any) -> None:
    status, body = api(host, "GET", "/api/v2/monitor/health")
    assert status == 200
    assert body["metadatabase"]["status"] == "healthy"


def test_execution_api_served(host: Any) -> None:
    status, _ = api(host, "GET", "/execution/health")
    assert status == 200


def test_authentication_required(host: Any) -> None:
    assert api(host, "GET", "/api/v2/dags")[0] in (401, 403)
    status, body = api(host, "GET", "/api/v2/dags", token(host))
    assert status == 200 and "dags" in body


def test_config_not_exposed(host: Any) -> None:
    assert api(host, "GET", "/api/v2/config", token(host))[0] == 403


def test_configuration_change_restarts_and_waits_for_health(host: Any) -> None:
    pid = host.run("systemctl show -p MainPID --value airflow-api-server").stdout.strip()
    changed = ansible_playbook("molecule/resources/converge.yml", "-e",
                               json.dumps({"airflow_config": {"core": {"parallelism": 31}}}))
    try:
        assert changed.returncode == 0, changed.stdout[-3000:]
        assert "Wait for the health of" in changed.stdout
        assert host.run("systemctl show -p MainPID --value airflow-api-server").stdout.strip() != pid
        assert api(host, "GET", "/api/v2/version")[0] == 200
        assert host.run("airflow config get-value core parallelism").stdout.strip() == "31"
    finally:
        restored = ansible_playbook("molecule/resources/converge.yml")
        assert restored.returncode == 0, restored.stdout[-3000:]
    assert recap(restored.stdout)
