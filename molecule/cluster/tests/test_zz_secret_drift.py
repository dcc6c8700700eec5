"""Inputs that stop site.yml in preflight on every host, before anything changes or restarts: a
jwt_secret changed by hand on one node, an executor the collection does not configure.
Runs last (file name): it edits a node."""

from __future__ import annotations

from conftest import ansible_playbook, docker_exec, recap

NODES = ["cl-airflow1", "cl-airflow2", "cl-airflow3"]
ENV_FILE = "/etc/airflow/env.d/00-airflow.env"
UNITS = ["airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-dag-sync"]


def _pids() -> dict[str, str]:
    return {f"{node}/{unit}": docker_exec(node, "systemctl", "show", "-p", "MainPID", "--value", unit).strip()
            for node in NODES for unit in UNITS}


def test_a_hand_edited_jwt_secret_stops_the_play_before_any_restart() -> None:
    original = docker_exec("cl-airflow2", "cat", ENV_FILE)
    docker_exec("cl-airflow2", "sed", "-i", "s/^AIRFLOW__API_AUTH__JWT_SECRET=.*/AIRFLOW__API_AUTH__JWT_SECRET='edited-by-hand'/", ENV_FILE)
    edited = docker_exec("cl-airflow2", "cat", ENV_FILE)
    pids = _pids()
    try:
        result = ansible_playbook("playbooks/site.yml")
        output = " ".join((result.stdout + result.stderr).split())
        assert result.returncode != 0, output[-3000:]
        assert f"AIRFLOW__API_AUTH__JWT_SECRET in {ENV_FILE} differs between the deployed hosts" in output, output[-3000:]
        assert "cl-airflow1, cl-airflow3 | cl-airflow2" in output or "cl-airflow2 | cl-airflow1, cl-airflow3" in output
        assert "edited-by-hand" not in output, "the secret leaked into the output"
        assert all(counters["changed"] == 0 for counters in recap(result.stdout).values())
        assert _pids() == pids, "a unit was restarted"
        assert docker_exec("cl-airflow2", "cat", ENV_FILE) == edited, "the edited file was overwritten"
    finally:
        docker_exec("cl-airflow2", "sh", "-c", f"cat > {ENV_FILE}", stdin=original)


def test_an_executor_without_its_inputs_stops_every_host_before_any_change() -> None:
    """`-e airflow_executor=CeleryExecutor` once reached airflow.cfg on every node and crashed the first
    scheduler; now, without a broker, the preflight names what is missing and no node's files or processes
    change."""
    configs = {node: docker_exec(node, "sha256sum", "/etc/airflow/airflow.cfg") for node in NODES}
    pids = _pids()
    result = ansible_playbook("playbooks/site.yml", "-e", "airflow_executor=CeleryExecutor")
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output[-3000:]
    assert "airflow_executor 'CeleryExecutor' needs airflow_celery_broker_url (not shown), the Redis broker" in output
    assert all(counters["changed"] == 0 for counters in recap(result.stdout).values())
    assert {node: docker_exec(node, "sha256sum", "/etc/airflow/airflow.cfg") for node in NODES} == configs
    assert _pids() == pids, "a unit was restarted"
