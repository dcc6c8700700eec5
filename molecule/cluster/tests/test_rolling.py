"""Under a 10 req/s client: an HAProxy reload, a rolling restart and a rolling upgrade fail no
request, never take more than one backend out of the LB, and the upgrade migrates the schema
exactly once."""

from __future__ import annotations

import re
import subprocess
import threading
from typing import Any

from conftest import (LoadClient, ansible_playbook, container_ip, haproxy_states, haproxy_worker_pid, lb_client, recap,
                      token, wait_for)

LB = "http://cl-lb"
NODES = ["cl-airflow1", "cl-airflow2", "cl-airflow3"]


def _api_server_pids() -> dict[str, str]:
    return {
        node: subprocess.run(["docker", "exec", node, "systemctl", "show", "-p", "MainPID", "--value",
                              "airflow-api-server.service"], capture_output=True, text=True, check=True).stdout.strip()
        for node in NODES
    }


def _all_up_soon() -> None:
    """Every server fully UP within 30 s ("UP 1/3", one slow check on a busy machine, still serves)."""
    wait_for(lambda: haproxy_states("cl-lb") == {node: "UP" for node in NODES}, 30, interval=1,
             what="every server UP in HAProxy")


def _run_under_load(host: Any, playbook: str, *args: str) -> tuple[subprocess.CompletedProcess[str], LoadClient, int]:
    """Run the playbook while the client runs; also sample HAProxy for the most servers out at once."""
    most_out, worst = 0, {}
    done = threading.Event()

    def sample() -> None:
        # In service: UP, also "UP 1/3" (one check failed, still serving); out: DRAIN, MAINT, DOWN...
        nonlocal most_out, worst
        while not done.wait(0.5):
            states = haproxy_states("cl-lb")
            out = sum(not state.startswith("UP") for state in states.values())
            if out > most_out:
                most_out, worst = out, states

    sampler = threading.Thread(target=sample, daemon=True)
    client = lb_client(container_ip("cl-lb"), token(host, base=LB))
    with client:
        sampler.start()
        result = ansible_playbook(playbook, *args)
        done.set()
        sampler.join()
    print(f"{playbook} {' '.join(args)}: rc {result.returncode}, {client.sent} requests, {len(client.failures)} failed, "
          f"at most {most_out} server(s) out of the LB at once {worst}")
    return result, client, most_out


def test_an_lb_configuration_change_reloads_haproxy_without_failing_a_request(host: Any) -> None:
    # The operator's way to change a load balancer setting: site.yml limited to the LB hosts.
    # Twice (changed, then back to the default), so the test leaves the converged configuration.
    for timeout in ("61s", "60s"):
        worker = haproxy_worker_pid("cl-lb")
        result, client, most_out = _run_under_load(host, "playbooks/site.yml", "--limit", "airflow_lb",
                                                   "-e", f"airflow_lb_timeout_client={timeout}")
        assert result.returncode == 0, result.stdout[-4000:]
        assert recap(result.stdout)["cl-lb"]["changed"] >= 1
        assert haproxy_worker_pid("cl-lb") != worker, "HAProxy was not reloaded"
        assert client.sent >= 50
        assert client.failures == []
        assert most_out == 0
    _all_up_soon()


def test_rolling_restart_fails_no_request(host: Any) -> None:
    before = _api_server_pids()
    result, client, most_out = _run_under_load(host, "playbooks/rolling_restart.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    after = _api_server_pids()
    assert all(before[node] != after[node] for node in NODES), (before, after)
    assert client.sent >= 100
    assert client.failures == []
    assert most_out <= 1
    _all_up_soon()


def test_rolling_upgrade_migrates_once_and_fails_no_request(host: Any) -> None:
    result, client, most_out = _run_under_load(host, "playbooks/rolling_upgrade.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    # Every "Migrate the metadata database" task header (one per serial batch) and its host lines.
    blocks = re.findall(r"TASK \[[^\]]*: Migrate the metadata database\][^\n]*\n(.*?)(?=\n\s*\n|\nTASK )",
                        result.stdout, flags=re.S)
    migrated = [line for block in blocks for line in block.splitlines() if line.startswith("changed:")]
    print(f"migration ran on: {migrated}")
    assert migrated == ["changed: [cl-airflow1]"]
    assert client.failures == []
    assert most_out <= 1
    _all_up_soon()
