"""Role airflow_scheduler: a hardened unit.

The unit, its health server and its job are checked in test_control_plane.py with the other
components; database errors caught before any restart, in test_metadata_db.py."""

from __future__ import annotations

from typing import Any


def test_unit_is_hardened(host: Any) -> None:
    unit = host.file("/etc/systemd/system/airflow-scheduler.service").content_string
    for directive in ("ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes", "ProtectHome=yes",
                      "ReadWritePaths=/var/lib/airflow /var/log/airflow", "Restart=always"):
        assert directive in unit
    assert host.run("systemd-analyze verify /etc/systemd/system/airflow-scheduler.service").rc == 0
    process_user = host.run("ps -o user= -p $(systemctl show -p MainPID --value airflow-scheduler)").stdout.strip()
    assert process_user == "airflow"
