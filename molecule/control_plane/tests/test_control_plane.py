"""The four components on one node against PostgreSQL: units, health, security defaults, a DAG run."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import (
    admin_credentials,
    ansible_playbook,
    api,
    assert_service_running,
    deploy_dag,
    inventory_var,
    recap,
    run_dag,
    token,
    wait_for,
)

UNITS = ["airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"]


@pytest.mark.parametrize("unit", UNITS)
def test_unit_running_and_enabled(host: Any, unit: str) -> None:
    assert_service_running(host, unit)


def test_api_version_answers_without_login(host: Any) -> None:
    status, body = api(host, "GET", "/api/v2/version")
    assert status == 200
    assert body["version"] == "3.3.2"


def test_monitor_health_reports_every_component_healthy(host: Any) -> None:
    status, body = api(host, "GET", "/api/v2/monitor/health")
    assert status == 200
    for component in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
        assert body[component]["status"] == "healthy", body


def test_scheduler_health_server(host: Any) -> None:
    status, body = api(host, "GET", "/health", base="http://127.0.0.1:8974")
    assert status == 200, body


@pytest.mark.parametrize("job_type", ["SchedulerJob", "DagProcessorJob", "TriggererJob"])
def test_jobs_check_local(host: Any, job_type: str) -> None:
    result = host.run(f"airflow jobs check --job-type {job_type} --local")
    assert result.rc == 0, result.stdout + result.stderr


def test_jobs_check_of_the_collection_reports_every_job_type(host: Any) -> None:
    result = host.run("airflow-jobs-check SchedulerJob DagProcessorJob TriggererJob")
    assert result.rc == 0, result.stdout + result.stderr
    assert result.stdout.split("\n")[:3] == ["SchedulerJob alive", "DagProcessorJob alive", "TriggererJob alive"]


def test_jobs_check_of_the_collection_sees_a_stopped_triggerer(host: Any) -> None:
    """The health gate's check agrees with `airflow jobs check` when a job is gone, and again once it is back."""
    host.run_expect([0], "systemctl stop airflow-triggerer")
    try:
        ours = host.run("airflow-jobs-check DagProcessorJob TriggererJob")
        cli = host.run("airflow jobs check --job-type TriggererJob --local")
        assert (ours.rc, cli.rc) == (1, 1), ours.stdout + ours.stderr + cli.stdout + cli.stderr
        assert ours.stdout.split("\n")[:2] == ["DagProcessorJob alive", "TriggererJob dead"]
    finally:
        host.run_expect([0], "systemctl start airflow-triggerer")
    wait_for(lambda: host.run("airflow-jobs-check TriggererJob").rc == 0, timeout=300, what="triggerer alive again")


def test_migrations_at_head(host: Any) -> None:
    result = host.run("airflow db check-migrations --migration-wait-timeout 1")
    assert result.rc == 0, result.stdout + result.stderr


def test_unauthenticated_dags_refused(host: Any) -> None:
    status, _body = api(host, "GET", "/api/v2/dags")
    assert status in (401, 403)


def test_wrong_password_gets_no_token(host: Any) -> None:
    status, _body = api(host, "POST", "/auth/token", body={"username": "admin", "password": "wrong-password"})
    assert status == 401


def test_config_not_exposed(host: Any) -> None:
    status, _body = api(host, "GET", "/api/v2/config", token(host))
    assert status == 403


def test_fab_auth_manager_in_use(host: Any) -> None:
    result = host.run("airflow config get-value core auth_manager")
    assert result.stdout.strip() == "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
    assert host.file("/var/lib/airflow/webserver_config.py").mode == 0o640
    status, _body = api(host, "GET", "/auth/login/")
    assert status == 200


def test_admin_user_created_once(host: Any) -> None:
    result = host.run("airflow users list --output json")
    users = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert admin_credentials(host)["username"] in users[-1]


def test_no_example_dags(host: Any) -> None:
    status, body = api(host, "GET", "/api/v2/dags?limit=100", token(host))
    assert status == 200
    assert not [d["dag_id"] for d in body["dags"] if d["dag_id"].startswith("example_")]


def test_dag_run_with_deferred_task_succeeds(host: Any) -> None:
    deploy_dag(host)
    run = run_dag(host, "molecule_smoke")
    assert run["state"] == "success", run
    assert run["task_states"] == {"hello": "success", "wait_deferred": "success"}


SEOUL_DAG = """
from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(dag_id="seoul_morning", schedule="0 9 * * *", start_date=datetime(2026, 1, 1), catchup=False):
    EmptyOperator(task_id="noop")
"""


def test_a_nine_oclock_schedule_in_seoul_is_midnight_utc(host: Any) -> None:
    """airflow_timezone: Asia/Seoul (the scenario's inventory) is [core] default_timezone: a naive cron
    schedule of 09:00 gets the logical date a Korean user expects, 00:00 UTC."""
    assert host.run("airflow config get-value core default_timezone").stdout.strip() == "Asia/Seoul"
    written = host.run(f"cat > /var/lib/airflow/dags/seoul_morning.py <<'EOF'\n{SEOUL_DAG}\nEOF\n"
                       "chown airflow:airflow /var/lib/airflow/dags/seoul_morning.py")
    assert written.rc == 0, written.stderr
    jwt = token(host)

    def next_run() -> str | None:
        status, dag = api(host, "GET", "/api/v2/dags/seoul_morning", jwt)
        return dag.get("next_dagrun_logical_date") if status == 200 else None

    logical_date = datetime.fromisoformat(wait_for(next_run, 300, what="seoul_morning parsed and scheduled"))
    print(f"seoul_morning: next logical date {logical_date.isoformat()}")
    assert (logical_date.utcoffset(), logical_date.hour, logical_date.minute) == (timedelta(0), 0, 0)
    assert logical_date.astimezone(ZoneInfo("Asia/Seoul")).hour == 9
    status, details = api(host, "GET", "/api/v2/dags/seoul_morning/details", jwt)
    assert (status, details["timezone"]) == (200, "Asia/Seoul")


def task_status(output: str, task: str) -> str:
    """The first result word (ok, changed, skipping...) printed after the header of a task."""
    match = re.search(rf"TASK \[[^\]]*{re.escape(task)}\] \*+\n(\w+):", output)
    assert match, f"task {task!r} not in the output"
    return match.group(1)


def test_check_mode_changes_nothing_asks_the_host_and_prints_no_secret(host: Any) -> None:
    result = ansible_playbook("molecule/resources/converge.yml", "--check", "--diff")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert all(counters["changed"] == 0 for counters in recap(result.stdout).values()), output[-2000:]
    # The migration host asks Airflow on every run, check mode included (no controller-side or
    # host-side record spares it), and migrates nothing at head.
    assert task_status(result.stdout, "Ask whether migrations are pending") == "ok"
    assert task_status(result.stdout, "Migrate the metadata database") == "skipping"
    for secret in ("airflow_fernet_key", "airflow_api_secret_key", "airflow_jwt_secret",
                   "airflow_metadata_db_password", "airflow_metadata_db_admin_password"):
        assert str(inventory_var(host, secret)) not in output, f"{secret} appears in the output"


def test_restart_of_every_unit_becomes_healthy(host: Any) -> None:
    """Restart all four units at once; every health check must answer again (time printed)."""
    started = time.monotonic()
    result = host.run("systemctl restart " + " ".join(UNITS))
    assert result.rc == 0, result.stderr

    def healthy() -> bool:
        status, body = api(host, "GET", "/api/v2/monitor/health")
        if status != 200 or api(host, "GET", "/health", base="http://127.0.0.1:8974")[0] != 200:
            return False
        return all(body[c]["status"] == "healthy" for c in ("metadatabase", "scheduler", "triggerer", "dag_processor"))

    wait_for(healthy, 300, interval=1, what="every component healthy after a restart")
    print(f"unit start -> every component healthy: {time.monotonic() - started:.1f} s")
