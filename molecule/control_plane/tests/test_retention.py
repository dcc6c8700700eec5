"""Retention (role airflow, tasks/retention.yml): old local logs and old metadata rows are deleted by
systemd timers, the journal is capped. Files and rows are back-dated here, then each timer's service
is started as the timer would start it."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import docker_exec

DB = "mol-control-plane-db"
LOGS = "/var/log/airflow"


def _sql(query: str) -> str:
    return docker_exec(DB, "runuser", "-u", "postgres", "--", "psql", "-d", "airflow", "-tAc", query).strip()


@pytest.mark.parametrize("timer", ["airflow-log-cleanup.timer", "airflow-db-clean.timer"])
def test_timer_enabled_waiting_and_its_units_valid(host: Any, timer: str) -> None:
    assert host.service(timer).is_enabled
    assert host.run(f"systemctl show -p ActiveState --value {timer}").stdout.strip() == "active"
    assert host.run(f"systemctl show -p NextElapseUSecRealtime --value {timer}").stdout.strip()
    units = f"/etc/systemd/system/{timer} /etc/systemd/system/{timer.replace('.timer', '.service')}"
    verify = host.run(f"systemd-analyze verify {units}")
    assert verify.rc == 0, verify.stdout + verify.stderr


def test_logs_older_than_the_retention_go_and_recent_ones_stay(host: Any) -> None:
    """airflow_log_retention_days 30 (the default): a 31-day-old task log goes, a 29-day-old one stays."""
    old = f"{LOGS}/dag_id=retention_old/run_id=r1/task_id=t/attempt=1.log"
    recent = f"{LOGS}/dag_id=retention_recent/run_id=r1/task_id=t/attempt=1.log"
    for path, age in ((old, "31 days ago"), (recent, "29 days ago")):  # as Airflow writes them: as airflow
        created = host.run(f"runuser -u airflow -- sh -c 'mkdir -p \"$(dirname {path})\" && touch -d \"{age}\" {path}'")
        assert created.rc == 0, created.stderr
    started = host.run("systemctl start airflow-log-cleanup.service")
    assert started.rc == 0, host.run("journalctl -u airflow-log-cleanup.service -n 20 --no-pager").stdout
    assert host.run("systemctl show -p Result --value airflow-log-cleanup.service").stdout.strip() == "success"
    assert not host.file(old).exists
    assert host.file(recent).exists
    assert host.file(LOGS).is_directory


def test_metadata_older_than_the_retention_is_cleaned(host: Any) -> None:
    """airflow_db_retention_days 90 (the default): `airflow db clean` deletes a 100-day-old audit log row and
    keeps a 10-day-old one, with no archive table left behind."""
    _sql("DELETE FROM log WHERE event LIKE 'molecule-retention-%'")
    _sql("INSERT INTO log (dttm, event) VALUES (now() - interval '100 days', 'molecule-retention-old'), "
         "(now() - interval '10 days', 'molecule-retention-recent')")
    started = host.run("systemctl start airflow-db-clean.service")
    assert started.rc == 0, host.run("journalctl -u airflow-db-clean.service -n 30 --no-pager").stdout
    assert host.run("systemctl show -p Result --value airflow-db-clean.service").stdout.strip() == "success"
    assert _sql("SELECT event FROM log WHERE event LIKE 'molecule-retention-%' ORDER BY event") == "molecule-retention-recent"
    assert _sql("SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_airflow\\_deleted\\_\\_%'") == "0"


def test_the_journal_is_capped(host: Any) -> None:
    """airflow_journald_max_use 2G (the default), in the configuration journald reads, and journald running."""
    merged = host.run("systemd-analyze cat-config systemd/journald.conf").stdout
    assert "# /etc/systemd/journald.conf.d/airflow.conf" in merged
    assert merged.rstrip().endswith("SystemMaxUse=2G")
    assert host.run("systemctl show -p ActiveState --value systemd-journald").stdout.strip() == "active"
