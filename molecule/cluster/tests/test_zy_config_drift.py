"""Check mode on the converged cluster changes nothing and prints no secret; a configuration change
that passes Airflow's checks but breaks the first node stops there, the other nodes keeping their
files and processes (canary); a hand-edited airflow.cfg on one node is repaired by the next run,
which restarts that node only, and so is a tampered DAG sync engine (restarting the engine only).
Runs after the rolling tests (file name) and before the secret-drift test, which edits a node."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from conftest import ansible_playbook, docker_exec, inventory_var, recap, wait_for

NODES = ["cl-airflow1", "cl-airflow2", "cl-airflow3"]
CONFIG = "/etc/airflow/airflow.cfg"
ENGINE = "/usr/local/lib/airflow-deploy/airflow_dag_sync"  # the package under airflow_dag_sync_engine_dir (default)
UNITS = ("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
SECRETS = ["airflow_fernet_key", "airflow_api_secret_key", "airflow_jwt_secret", "airflow_metadata_db_password",
           "airflow_metadata_db_admin_password", "airflow_dag_sync_aws_secret_access_key"]


def _pids(node: str, units: tuple[str, ...] = UNITS) -> dict[str, str]:
    return {unit: docker_exec(node, "systemctl", "show", "-p", "MainPID", "--value", unit).strip() for unit in units}


def test_check_mode_with_diff_changes_nothing_and_prints_no_secret(host: Any) -> None:
    result = ansible_playbook("playbooks/site.yml", "--check", "--diff")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    changed = {name: counters["changed"] for name, counters in recap(result.stdout).items()}
    assert set(changed.values()) == {0}, changed
    for name in SECRETS:
        assert str(inventory_var(host, name)) not in output, f"{name} appears in the output"


def _sha(node: str) -> str:
    return docker_exec(node, "sha256sum", CONFIG).split()[0]


def _port_taken(node: str, port: int) -> bool:
    probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
    return subprocess.run(["docker", "exec", node, "python3", "-c", probe], capture_output=True, check=False).returncode == 0


BEFORE_THE_CANARY: dict[str, tuple[str, dict[str, str]]] = {}


def test_a_change_that_breaks_the_first_node_never_reaches_the_others() -> None:
    """A valid airflow.cfg change (the api-server's port) that cannot start on cl-airflow1, where a
    stray process holds that port: the run stops at cl-airflow1's health gate; cl-airflow2 and 3 keep
    their live airflow.cfg and their processes (the next test repairs cl-airflow1)."""
    BEFORE_THE_CANARY.update({node: (_sha(node), _pids(node)) for node in NODES})
    subprocess.run(["docker", "exec", "-d", "cl-airflow1", "python3", "-m", "http.server", "--bind", "127.0.0.1", "8081"],
                   check=True, timeout=60)
    try:
        wait_for(lambda: _port_taken("cl-airflow1", 8081), 60, interval=1, what="the stray listener on cl-airflow1:8081")
        change = {"airflow_config": {"api": {"port": 8081}}, "airflow_lb_healthcheck_timeout": 45}
        result = ansible_playbook("playbooks/site.yml", "-e", json.dumps(change))
        assert result.returncode != 0, result.stdout[-4000:]
        assert "port = 8081" in docker_exec("cl-airflow1", "cat", CONFIG), "the canary did not get the change"
        for node in ("cl-airflow2", "cl-airflow3"):
            assert (_sha(node), _pids(node)) == BEFORE_THE_CANARY[node], f"{node} was changed or restarted"
            assert "port = 8081" in docker_exec(node, "cat", f"{CONFIG}.staged"), f"{node} did not render the change"
    finally:
        docker_exec("cl-airflow1", "pkill", "-f", "http.server --bind 127.0.0.1 8081")


def _engine(node: str) -> str:
    """Name, owner, mode and SHA-1 of each module of the DAG sync engine on a node."""
    return docker_exec(node, "sh", "-c", f"cd {ENGINE} && stat -c '%n %U:%G %a' *.py && sha1sum *.py")


def test_the_next_run_repairs_the_canary_and_a_hand_edited_node_and_restarts_only_them() -> None:
    """The run after the failed canary, without the change, with cl-airflow2's live airflow.cfg edited
    by hand meanwhile: both files are repaired and only those two nodes restart; cl-airflow3, whose
    live file never changed, keeps its Airflow processes. Its DAG sync engine, tampered with meanwhile
    (a module edited, one made world-writable, one a release never shipped), is put back as on the other
    nodes and only the engine restarts."""
    assert BEFORE_THE_CANARY, "runs after the canary test"
    wanted = BEFORE_THE_CANARY["cl-airflow3"][0]
    docker_exec("cl-airflow2", "sh", "-c", f"sed -i 's/^load_examples = .*/load_examples = True/' {CONFIG}")
    assert _sha("cl-airflow2") != wanted, "the edit did not change the file"
    wanted_engine = _engine("cl-airflow1")
    docker_exec("cl-airflow3", "sh", "-c", f"echo '# edited' >> {ENGINE}/cli.py && chmod 0666 {ENGINE}/s3.py"
                                           f" && echo 'X = 1' > {ENGINE}/stray.py")
    assert _engine("cl-airflow3") != wanted_engine, "the tampering did not change the engine"
    engine_before = _pids("cl-airflow3", ("airflow-dag-sync",))
    before = {node: _pids(node) for node in NODES}
    result = ansible_playbook("playbooks/site.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    print({node: counters["changed"] for node, counters in recap(result.stdout).items()})
    assert [_sha(node) for node in NODES] == [wanted] * 3, "airflow.cfg was not repaired everywhere"
    assert _engine("cl-airflow3") == wanted_engine, "the DAG sync engine was not repaired"
    engine_after = _pids("cl-airflow3", ("airflow-dag-sync",))
    assert engine_after["airflow-dag-sync"] not in ("0", engine_before["airflow-dag-sync"]), (engine_before, engine_after)
    after = {node: _pids(node) for node in NODES}
    for node in ("cl-airflow1", "cl-airflow2"):
        assert all(after[node][unit] != before[node][unit] for unit in UNITS), (node, before, after)
    assert after["cl-airflow3"] == BEFORE_THE_CANARY["cl-airflow3"][1], (before, after)
