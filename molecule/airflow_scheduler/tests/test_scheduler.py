"""The scheduler: unit, health server, and database errors caught before any restart."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import api, assert_fails_in_preflight, assert_service_running, db_failure_cases


def test_unit_running_and_enabled(host: Any) -> None:
    assert_service_running(host, "airflow-scheduler")


def test_health_server_answers(host: Any) -> None:
    status, body = api(host, "GET", "/health", base="http://127.0.0.1:8974")
    assert status == 200, body


def test_scheduler_job_heartbeats(host: Any) -> None:
    result = host.run("airflow jobs check --job-type SchedulerJob --local")
    assert result.rc == 0, result.stdout + result.stderr


def test_unit_is_hardened(host: Any) -> None:
    unit = host.file("/etc/systemd/system/airflow-scheduler.service").content_string
    for directive in ("ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes", "ProtectHome=yes",
                      "ReadWritePaths=/var/lib/airflow /var/log/airflow", "Restart=always"):
        assert directive in unit
    assert host.run("systemd-analyze verify /etc/systemd/system/airflow-scheduler.service").rc == 0
    process_user = host.run("ps -o user= -p $(systemctl show -p MainPID --value airflow-scheduler)").stdout.strip()
    assert process_user == "airflow"


@pytest.mark.parametrize("case", ["wrong password", "unreachable server"])
def test_bad_database_input_restarts_nothing(host: Any, case: str) -> None:
    extra_vars, message = db_failure_cases(host)[case]
    pid_before = host.run("systemctl show -p MainPID --value airflow-scheduler").stdout.strip()
    assert_fails_in_preflight(extra_vars, message)
    assert host.run("systemctl show -p MainPID --value airflow-scheduler").stdout.strip() == pid_before
