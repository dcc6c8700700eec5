"""CeleryExecutor on a control-plane node and two workers, against real PostgreSQL and Redis.

Tests run once, from the control-plane node (mol-celery); the workers and Redis are reached with
docker exec. Each reliability test prints its figures (durations, tries, hosts) in the log."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest
from conftest import REPO, ansible_playbook, api, docker_exec, recap, token, wait_for

WORKERS = {"mol-celery-worker1": ["default"], "mol-celery-worker2": ["high_cpu", "default"]}
REDIS = "mol-celery-redis"
UNIT = "airflow-celery-worker.service"
DAG_FILE = REPO / "molecule" / "resources" / "dags" / "molecule_celery.py"
DAGS_DIR = "/var/lib/airflow/dags"
BROKER_CA = "/etc/airflow/tls/celery-broker-ca.crt"


@pytest.fixture(scope="module")
def jwt(host: Any) -> str:
    """The DAG file on the control-plane node and on both workers (which run its tasks); an admin JWT."""
    for node in ["mol-celery", *WORKERS]:
        subprocess.run(["docker", "cp", str(DAG_FILE), f"{node}:{DAGS_DIR}/"], check=True, timeout=60)
        docker_exec(node, "chown", "airflow:airflow", f"{DAGS_DIR}/{DAG_FILE.name}")
    jwt = token(host)
    for dag_id in ("molecule_celery_queues", "molecule_celery_sleep"):
        wait_for(lambda dag_id=dag_id: api(host, "GET", f"/api/v2/dags/{dag_id}", jwt)[0] == 200, 300,
                 what=f"DAG {dag_id} parsed")
        status, _body = api(host, "PATCH", f"/api/v2/dags/{dag_id}", jwt, {"is_paused": False})
        assert status == 200, status
    return jwt


def _trigger(host: Any, jwt: str, dag_id: str, conf: dict[str, Any] | None = None) -> str:
    status, run = api(host, "POST", f"/api/v2/dags/{dag_id}/dagRuns", jwt, {"logical_date": None, "conf": conf or {}})
    assert status == 200, f"trigger answered {status}: {run}"
    return str(run["dag_run_id"])


def _instance(host: Any, jwt: str, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
    status, instance = api(host, "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}", jwt)
    assert status == 200, f"task instance answered {status}: {instance}"
    return dict(instance)


def _finished(host: Any, jwt: str, dag_id: str, run_id: str, timeout: float = 600) -> str:
    def state() -> str | None:
        _status, run = api(host, "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}", jwt)
        return run.get("state") if run.get("state") in ("success", "failed") else None

    return str(wait_for(state, timeout, what=f"run {run_id} of {dag_id} finished"))


def _running_sleep(host: Any, jwt: str, conf: dict[str, Any]) -> tuple[str, str]:
    """Trigger molecule_celery_sleep and wait until its task runs; (run_id, worker)."""
    run_id = _trigger(host, jwt, "molecule_celery_sleep", conf)

    def worker() -> str | None:
        instance = _instance(host, jwt, "molecule_celery_sleep", run_id, "sleep")
        return instance["hostname"] if instance["state"] == "running" and instance.get("hostname") else None

    return run_id, str(wait_for(worker, 300, 2, what=f"the sleep task of {run_id} running"))


def _node(hostname: str) -> str:
    """The worker container of a task instance's hostname (Airflow records the FQDN)."""
    return next(node for node in WORKERS if hostname.split(".")[0] == node)


def test_workers_run_with_their_queues_and_warm_shutdown(host: Any) -> None:
    for node, queues in WORKERS.items():
        assert docker_exec(node, "systemctl", "is-active", UNIT).strip() == "active", docker_exec(
            node, "journalctl", "-u", UNIT, "-n", "60", "--no-pager")
        show = docker_exec(node, "systemctl", "show", "-p", "ExecStart", "-p", "KillMode", "-p", "KillSignal",
                           "-p", "TimeoutStopUSec", UNIT)
        assert f"--queues {','.join(queues)} --concurrency 2" in show, show
        assert "KillMode=mixed" in show and "KillSignal=15" in show and "TimeoutStopUSec=10min" in show, show


def test_the_broker_sees_both_workers_with_their_queues(host: Any) -> None:
    def listed() -> dict[str, list[str]] | None:
        result = host.run("airflow celery list-workers -o json")
        if result.rc != 0:
            return None
        workers = {item["worker_name"]: sorted(item["queues"]) for item in json.loads(result.stdout)}
        return workers if len(workers) == len(WORKERS) else None

    workers = wait_for(listed, 120, what="both workers listed by the broker")
    assert workers == {f"celery@{node}": sorted(queues) for node, queues in WORKERS.items()}


def test_the_broker_password_is_only_in_the_root_only_env_file(host: Any) -> None:
    password = "molecule%40redis%3Apassword"  # as in the broker URL (molecule.yml)
    env_file = "/etc/airflow/env.d/00-airflow.env"
    for node in ["mol-celery", *WORKERS]:
        found = docker_exec(node, "grep", "-rlF", password, "/etc/airflow", "/etc/systemd/system", check=False).split()
        # The live file and its staged copy (rendered and compared before it goes live).
        assert sorted(found) == [env_file, f"{env_file}.staged"], f"{node}: {found}"
        assert docker_exec(node, "stat", "-c", "%U %a", *found).split() == ["root", "600"] * 2, node


def test_the_broker_is_reached_over_tls_only_and_verified(host: Any) -> None:
    """Redis listens with TLS only (prepare.yml); every Airflow host holds the broker's CA
    (airflow_celery_broker_ca_file) and verifies Redis against it, which every Celery test here relies on."""
    password = "molecule@redis:password"  # decoded from the broker URL (molecule.yml)
    auth = ["-h", REDIS, "--no-auth-warning", "-a", password, "PING"]
    assert "PONG" not in docker_exec(REDIS, "redis-cli", *auth, check=False)
    assert docker_exec(REDIS, "redis-cli", "--tls", "--cacert", "/etc/redis/redis.crt", *auth).strip() == "PONG"
    for node in ["mol-celery", *WORKERS]:
        assert docker_exec(node, "stat", "-c", "%U:%G %a", BROKER_CA).split() == ["root:airflow", "640"], node
        settings = {key: docker_exec(node, "/usr/local/bin/airflow", "config", "get-value", "celery", key).strip()
                    for key in ("ssl_active", "ssl_cacert", "ssl_mutual_tls")}
        assert settings == {"ssl_active": "True", "ssl_cacert": BROKER_CA, "ssl_mutual_tls": "False"}, (node, settings)


def test_each_task_runs_on_a_worker_of_its_queue(host: Any, jwt: str) -> None:
    run_id = _trigger(host, jwt, "molecule_celery_queues")
    assert _finished(host, jwt, "molecule_celery_queues", run_id) == "success"
    ran_on = {task: _node(_instance(host, jwt, "molecule_celery_queues", run_id, task)["hostname"])
              for task in ("on_default", "on_high_cpu")}
    print(f"molecule_celery_queues {run_id}: {ran_on}")
    # high_cpu has one worker; default has both.
    assert ran_on["on_high_cpu"] == "mol-celery-worker2"
    assert "default" in WORKERS[ran_on["on_default"]]


def _during_a_60_s_task(host: Any, jwt: str, playbook: str) -> tuple[str, dict[str, Any]]:
    """Run the playbook on the worker running a 60 s task (--limit); the worker and the task instance once the run
    succeeded. Prints the figures."""
    run_id, worker = _running_sleep(host, jwt, {"seconds": 60})
    node = _node(worker)
    started = time.monotonic()
    result = ansible_playbook(playbook, "--limit", node)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert recap(result.stdout)[node]["failed"] == 0
    assert _finished(host, jwt, "molecule_celery_sleep", run_id) == "success"
    instance = _instance(host, jwt, "molecule_celery_sleep", run_id, "sleep")
    print(f"{playbook} on {node} during a 60 s task: {took:.0f} s; task {instance['state']} "
          f"on try {instance['try_number']} on {instance['hostname']}")
    return node, instance


def _warm_shutdown_let_the_task_finish(node: str, instance: dict[str, Any]) -> None:
    """The first try finished on the stopped worker: the stop waited for it, nothing retried it."""
    assert (instance["try_number"], _node(instance["hostname"])) == (1, node)
    journal = docker_exec(node, "journalctl", "-u", UNIT, "--since", "-10min", "--no-pager")
    assert "Warm shutdown" in journal, journal[-3000:]
    assert docker_exec(node, "systemctl", "is-active", UNIT).strip() == "active"


def test_a_restart_by_the_playbook_waits_for_the_running_task(host: Any, jwt: str) -> None:
    node, instance = _during_a_60_s_task(host, jwt, "playbooks/rolling_restart.yml")
    _warm_shutdown_let_the_task_finish(node, instance)


def test_a_rolling_upgrade_of_a_worker_waits_for_its_running_task(host: Any, jwt: str) -> None:
    """Deploy skew on the worker's side (the play's host order, control plane first and workers last, is
    tests/unit/test_rolling_upgrade_order.py): rolling_upgrade.yml stops the worker running a task with a
    warm shutdown, so the task ends on its first try on that worker, on the version it started with; the
    worker comes back on the control plane's Airflow version and takes tasks again."""
    node, instance = _during_a_60_s_task(host, jwt, "playbooks/rolling_upgrade.yml")
    _warm_shutdown_let_the_task_finish(node, instance)
    versions = {n: docker_exec(n, "/usr/local/bin/airflow", "version").strip() for n in ["mol-celery", *WORKERS]}
    assert set(versions.values()) == {"3.3.2"}, versions
    after = _trigger(host, jwt, "molecule_celery_queues")
    assert _finished(host, jwt, "molecule_celery_queues", after) == "success"


def test_a_worker_killed_mid_task_has_its_task_retried_on_the_other(host: Any, jwt: str) -> None:
    run_id, worker = _running_sleep(host, jwt, {"seconds": 30})
    node = _node(worker)
    # The host is lost: every process of the worker killed at once, and it stays down.
    docker_exec(node, "systemctl", "kill", "--signal=SIGKILL", UNIT)
    docker_exec(node, "systemctl", "stop", UNIT)
    killed = time.monotonic()
    try:
        assert _finished(host, jwt, "molecule_celery_sleep", run_id) == "success"
        took = time.monotonic() - killed
        instance = _instance(host, jwt, "molecule_celery_sleep", run_id, "sleep")
        print(f"worker {node} killed mid-task: run succeeded {took:.0f} s later, on try {instance['try_number']} "
              f"on {instance['hostname']}")
        assert instance["try_number"] == 2
        assert _node(instance["hostname"]) != node
    finally:
        docker_exec(node, "systemctl", "start", UNIT)


def test_runs_before_during_and_after_a_60_s_redis_outage_succeed(host: Any, jwt: str) -> None:
    before, _worker = _running_sleep(host, jwt, {"seconds": 20})
    docker_exec(REDIS, "systemctl", "stop", "redis-server.service")
    stopped = time.monotonic()
    try:
        during = _trigger(host, jwt, "molecule_celery_sleep", {"seconds": 5})
        time.sleep(max(0.0, 60 - (time.monotonic() - stopped)))  # the outage itself, not a wait for a state
    finally:
        docker_exec(REDIS, "systemctl", "start", "redis-server.service")
    after = _trigger(host, jwt, "molecule_celery_sleep", {"seconds": 5})
    runs = {"before": before, "during": during, "after": after}
    states = {name: _finished(host, jwt, "molecule_celery_sleep", run_id) for name, run_id in runs.items()}
    tries = {name: _instance(host, jwt, "molecule_celery_sleep", run_id, "sleep")["try_number"]
             for name, run_id in runs.items()}
    print(f"Redis down 60 s: states {states}, tries {tries}, all done {time.monotonic() - stopped:.0f} s after the stop")
    assert states == {"before": "success", "during": "success", "after": "success"}
    assert tries["before"] == 1 and tries["after"] == 1
