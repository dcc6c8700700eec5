"""Role airflow_webserver: the database behind the health, the Execution API, a restart on a change.

The unit, the version without login, authentication and the hidden configuration are checked in
test_control_plane.py with the other components."""

from __future__ import annotations

import json
from typing import Any

from conftest import ansible_playbook, api, recap


def test_monitor_health_reads_the_database(host: Any) -> None:
    status, body = api(host, "GET", "/api/v2/monitor/health")
    assert status == 200
    assert body["metadatabase"]["status"] == "healthy"


def test_execution_api_served(host: Any) -> None:
    status, _body = api(host, "GET", "/execution/health")
    assert status == 200


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
