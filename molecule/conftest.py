"""Shared testinfra helpers for every molecule scenario (pytest finds this conftest above each
scenario's tests/ directory)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent

# Cluster probes shared with make bench-cluster (the load client, HAProxy states, S3 objects):
# the tests import them from cluster_probe, importable once this conftest has run.
sys.path.insert(0, str(REPO / "tools"))
from cluster_probe import LoadClient


def journal(host: Any, unit: str, lines: int = 80) -> str:
    """Return the last journal lines of a unit, for failure messages."""
    return host.run(f"journalctl -u {unit} -n {lines} --no-pager").stdout


def main_pid(host: Any, unit: str) -> str:
    """The unit's main process ID as systemd reports it ("0" when the unit has none)."""
    return str(host.run(f"systemctl show -p MainPID --value {unit}").stdout.strip())


def assert_service_running(host: Any, unit: str) -> None:
    """Assert the unit is enabled and active; on failure show its status and journal."""
    service = host.service(unit)
    if not (service.is_running and service.is_enabled):
        status = host.run(f"systemctl status {unit} --no-pager").stdout
        pytest.fail(f"{unit} is not running and enabled\n{status}\n--- journal ---\n{journal(host, unit)}")


def run_json(host: Any, command: str) -> Any:
    """Run a command on the host, fail with its output unless it succeeds, and parse its JSON."""
    result = host.run(command)
    assert result.rc == 0, f"{command} failed ({result.rc}):\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def ansible_playbook(playbook: str, *args: str, inventory: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ansible-playbook against an inventory, by default the scenario's (as the verifier sees it)."""
    inventory = inventory or str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent)
    command = ["ansible-playbook", "-i", inventory, str(REPO / playbook), *args]
    env = os.environ | {"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1", "PY_COLORS": "0"}
    # A bound for a hung run, not a speed claim: a rolling upgrade of three nodes took over 600 s on
    # the 2-core machine with two other scenarios beside it.
    return subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False, env=env)


RECAP_LINE = re.compile(r"^(\S+)\s*:\s*(ok=\d+.*)$")


def recap(output: str) -> dict[str, dict[str, int]]:
    """Parse the PLAY RECAP lines of ansible-playbook output: host -> counter -> value."""
    hosts: dict[str, dict[str, int]] = {}
    for line in output.splitlines():
        match = RECAP_LINE.match(line.strip())
        if match:
            counters = (item.split("=", 1) for item in match.group(2).split())
            hosts[match.group(1)] = {key: int(value) for key, value in counters}
    assert hosts, "no PLAY RECAP in the output"
    return hosts


SMOKE_DAG = REPO / "molecule" / "resources" / "dags" / "molecule_smoke.py"


def changed_by(output: str, task: str) -> list[str]:
    """The hosts a task reported changed in a playbook's output, once per run of the task (serial batches
    print its header again), in order."""
    blocks = re.findall(rf"TASK \[(?:[^\]]*: )?{re.escape(task)}\][^\n]*\n(.*?)(?=\n\s*\n|\nTASK )", output, flags=re.DOTALL)
    return [match for block in blocks for match in re.findall(r"^changed: \[([^\]]+)\]", block, flags=re.MULTILINE)]


def api(host: Any, method: str, path: str, token: str | None = None, body: Any = None,
        base: str = "http://127.0.0.1:8080") -> tuple[int, Any]:
    """Call the Airflow API from inside the host with curl; return (status, parsed JSON or text)."""
    command = f"curl -s -o /tmp/api-body -w '%{{http_code}}' -X {method} '{base}{path}'"
    command += " -H 'Content-Type: application/json'"
    if token:
        command += f" -H 'Authorization: Bearer {token}'"
    if body is not None:
        command += " --data-binary @-"
        result = host.run(f"echo {shlex.quote(json.dumps(body))} | {command}")
    else:
        result = host.run(command)
    status = int(result.stdout.strip() or 0)
    text = host.file("/tmp/api-body").content_string if host.file("/tmp/api-body").exists else ""
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def inventory_var(host: Any, name: str) -> Any:
    """A variable of the host as the scenario's inventory sets it (secrets, passwords)."""
    return host.ansible.get_variables()[name]


def admin_credentials(host: Any) -> dict[str, str]:
    """The admin login the airflow_metadata_db role created."""
    return {"username": "admin", "password": inventory_var(host, "airflow_metadata_db_admin_password")}


def token(host: Any, base: str = "http://127.0.0.1:8080") -> str:
    """A JWT for the admin user from POST /auth/token."""
    status, body = api(host, "POST", "/auth/token", body=admin_credentials(host), base=base)
    assert status in (200, 201), f"/auth/token answered {status}: {body}"
    return str(body["access_token"])


def wait_for(check: Any, timeout: float, interval: float = 3.0, what: str = "condition") -> Any:
    """Poll check() until it returns a truthy value or the timeout passes (then fail).

    Tests wait for the condition they need, never sleep in its place; a timeout is a bound for a
    failure, not a speed claim, so it leaves room for a busy 2-core machine (several times what the
    condition takes on a quiet one). Speed is measured by `make bench-cluster`, not asserted here."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} not reached within {timeout:.0f} s (last: {last!r})")


def deploy_dag(host: Any, source: Path = SMOKE_DAG, dags_dir: str = "/var/lib/airflow/dags") -> None:
    """Copy a DAG file into the DAG folder as the airflow user would own it."""
    result = host.ansible(
        "ansible.builtin.copy",
        f"src={source} dest={dags_dir}/{source.name} owner=airflow group=airflow mode=0644",
        check=False,
    )
    assert not result.get("failed"), result


def run_dag(host: Any, dag_id: str, timeout: float = 300, base: str = "http://127.0.0.1:8080") -> dict[str, Any]:
    """Wait for the DAG to be parsed, unpause it, trigger a run and wait for it to finish."""
    jwt = token(host, base)

    def active() -> bool:
        status, dag = api(host, "GET", f"/api/v2/dags/{dag_id}", jwt, base=base)
        return status == 200 and not dag.get("is_stale")

    # Stale DAGs cannot be triggered (404); see the cluster test for why a new DAG can be stale.
    wait_for(active, timeout, what=f"DAG {dag_id} parsed, visible in the API and not stale")
    status, _body = api(host, "PATCH", f"/api/v2/dags/{dag_id}", jwt, {"is_paused": False}, base=base)
    assert status == 200, status
    status, run = api(host, "POST", f"/api/v2/dags/{dag_id}/dagRuns", jwt, {"logical_date": None}, base=base)
    assert status == 200, f"trigger answered {status}: {run}"
    run_id = run["dag_run_id"]

    def finished() -> dict[str, Any] | None:
        _status, current = api(host, "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}", jwt, base=base)
        return current if current.get("state") in ("success", "failed") else None

    final = wait_for(finished, timeout, what=f"run {run_id} of {dag_id} finished")
    _status, instances = api(host, "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", jwt, base=base)
    final["task_states"] = {ti["task_id"]: ti["state"] for ti in instances["task_instances"]}
    final["task_tries"] = {ti["task_id"]: ti["try_number"] for ti in instances["task_instances"]}
    print(f"run {run_id} of {dag_id}: {final['state']}, states {final['task_states']}, tries {final['task_tries']}")
    return final


def db_failure_cases(host: Any) -> dict[str, tuple[dict[str, Any], str]]:
    """Bad database inputs and the preflight message each must produce."""
    node = host.backend.get_hostname()
    db = f"{node}-db"
    return {
        "wrong password": (
            {"airflow_metadata_db_password": "wrong-password-for-molecule"},
            (f"Cannot log in to PostgreSQL at {db}:5432 database airflow as user airflow from {node}: "
             "the server refused the credentials"),
        ),
        "unreachable server": (
            {"airflow_metadata_db_port": 5999, "airflow_metadata_db_connect_timeout": 3},
            f"Cannot reach PostgreSQL at {db}:5999 from {node} within 3 s (user airflow)",
        ),
    }


def assert_fails_in_preflight(extra_vars: dict[str, Any], message: str, inventory: str | None = None) -> str:
    """Run the converge with bad inputs; it must fail with the message and change nothing."""
    result = ansible_playbook("molecule/resources/converge.yml", "-e", json.dumps(extra_vars), inventory=inventory)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"the play succeeded\n{output[-3000:]}"
    assert " ".join(message.split()) in " ".join(output.split()), f"message not found\n{output[-3000:]}"
    assert all(counters["changed"] == 0 for counters in recap(result.stdout).values()), output[-2000:]
    return output


def docker_exec(container: str, *command: str, check: bool = True, stdin: str | None = None,
                timeout: float = 120) -> str:
    """Run a command in a scenario container (as root, from the test runner); its output.

    With check (the default) a non-zero exit fails the test, naming the container, the command and its output.
    """
    result = subprocess.run(["docker", "exec", *(["-i"] if stdin is not None else []), container, *command],
                            input=stdin, capture_output=True, text=True, check=False, timeout=timeout)
    assert not check or result.returncode == 0, (
        f"{container}: {' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def container_ip(container: str) -> str:
    """The address of a scenario container on its docker network (reachable from the test runner)."""
    result = subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container],
        capture_output=True, text=True, check=True, timeout=30,
    )
    return result.stdout.strip()


def lb_client(lb_address: str, jwt: str) -> LoadClient:
    """A 10 req/s client through the LB, alternating an unauthenticated and an authenticated call."""
    return LoadClient(f"http://{lb_address}", [
        ("/api/v2/version", {}),
        ("/api/v2/dags?limit=1", {"Authorization": f"Bearer {jwt}"}),
    ])
