"""PostgreSQL stopped for two minutes: every unit is healthy again without manual action.

Runs last in the scenario (file name), after the functional checks.
"""

from __future__ import annotations

import time
from typing import Any

from conftest import api, docker_exec, run_dag, wait_for

UNITS = ["airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"]
DB = "mol-control-plane-db"
OUTAGE_SECONDS = 120


def _db(action: str) -> None:
    docker_exec(DB, "systemctl", action, "postgresql@15-main.service")


def _unit(host: Any, unit: str, prop: str) -> str:
    return host.run(f"systemctl show -p {prop} --value {unit}").stdout.strip()


def _all_healthy(host: Any) -> bool:
    status, body = api(host, "GET", "/api/v2/monitor/health")
    if status != 200:
        return False
    healthy = all(body[c]["status"] == "healthy" for c in ("metadatabase", "scheduler", "triggerer", "dag_processor"))
    return healthy and all(_unit(host, u, "ActiveState") == "active" for u in UNITS)


def test_units_recover_from_a_two_minute_database_outage(host: Any) -> None:
    restarts_before = {u: int(_unit(host, u, "NRestarts")) for u in UNITS}
    _db("stop")
    try:
        time.sleep(OUTAGE_SECONDS)
        status, body = api(host, "GET", "/api/v2/monitor/health")
        assert status != 200 or body["metadatabase"]["status"] == "unhealthy", "the outage was not seen"
    finally:
        _db("start")
    started = time.monotonic()
    wait_for(lambda: _all_healthy(host), 300, interval=5, what="every component healthy after the outage")
    print(f"healthy {time.monotonic() - started:.0f} s after PostgreSQL came back")
    for unit in UNITS:
        assert _unit(host, unit, "Result") != "start-limit-hit", unit
        assert _unit(host, unit, "ActiveState") == "active", unit
    restarts = {u: int(_unit(host, u, "NRestarts")) - restarts_before[u] for u in UNITS}
    print(f"restarts during the outage: {restarts}")
    run = run_dag(host, "molecule_smoke")
    assert run["state"] == "success", (run["task_states"], run["task_tries"])
