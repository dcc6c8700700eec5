"""Role airflow_scheduler: a hardened unit, and database errors caught before any restart.

The unit, its health server and its job are checked in test_control_plane.py with the other
components."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_fails_in_preflight, db_failure_cases


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
