"""Under a 10 req/s client: an HAProxy reload, a rolling restart and a rolling upgrade fail no
request, never take more than one backend out of the LB, and the upgrade migrates the schema
exactly once."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from typing import Any

from cluster_probe import LoadClient, haproxy_states, haproxy_worker_pid
from conftest import ansible_playbook, changed_by, container_ip, docker_exec, lb_client, recap, token, wait_for

LB = "http://cl-lb"
NODES = ["cl-airflow1", "cl-airflow2", "cl-airflow3"]


def _api_server_pids() -> dict[str, str]:
    return {
        node: docker_exec(node, "systemctl", "show", "-p", "MainPID", "--value", "airflow-api-server.service").strip()
        for node in NODES
    }


def _all_up_soon() -> None:
    """Every server fully UP ("UP 1/3", one slow check on a busy machine, still serves); `rise 2` checks
    2 s apart take 4 s, the 60 s bound leaves room on a busy machine."""
    wait_for(lambda: haproxy_states("cl-lb") == {node: "UP" for node in NODES}, 60, interval=1,
             what="every server UP in HAProxy")


# Requests answered through the LB before a play starts and after it ends: the client runs over a
# window that contains the whole play, whatever the play's speed (2 s of answers at 10 req/s each side).
ANSWERED_AROUND = 20
ANSWERS_WITHIN = 60  # seconds, ample on a busy 2-core machine


@dataclass
class Window:
    """A play run under the 10 req/s client, with the answers on each side of it."""

    result: subprocess.CompletedProcess[str]
    client: LoadClient
    most_out: int  # most servers out of the LB at once (DRAIN, MAINT, DOWN...)
    before: int  # requests answered before the play started
    during: int  # answered while it ran
    after: int  # answered after it ended


def _run_under_load(host: Any, playbook: str, *args: str) -> Window:
    """Run the playbook inside a window of the client's answers; sample HAProxy for the most servers out at once."""
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
        try:
            before = client.wait_answered(ANSWERED_AROUND, ANSWERS_WITHIN)
            result = ansible_playbook(playbook, *args)
            ended = client.answered
            after = client.wait_answered(ANSWERED_AROUND, ANSWERS_WITHIN) - ended
        finally:
            done.set()
            sampler.join()
    window = Window(result, client, most_out, before, ended - before, after)
    print(f"{playbook} {' '.join(args)}: rc {result.returncode}; answered {before} before, {window.during} during, "
          f"{after} after; {client.sent} requests, {len(client.failures)} failed; at most {most_out} server(s) "
          f"out of the LB at once {worst}")
    return window


def test_an_lb_configuration_change_reloads_haproxy_without_failing_a_request(host: Any) -> None:
    # The operator's way to change a load balancer setting: site.yml limited to the LB hosts.
    # Twice (changed, then back to the default), so the test leaves the converged configuration.
    # The window makes the client's answers surround the reload: answered before the play (old worker)
    # and after it (only the new worker takes new connections then), whatever the play's speed; none
    # fails and no server leaves the LB.
    for timeout in ("61s", "60s"):
        worker = haproxy_worker_pid("cl-lb")
        window = _run_under_load(host, "playbooks/site.yml", "--limit", "airflow_lb",
                                 "-e", f"airflow_lb_timeout_client={timeout}")
        assert window.result.returncode == 0, window.result.stdout[-4000:]
        assert recap(window.result.stdout)["cl-lb"]["changed"] >= 1
        assert haproxy_worker_pid("cl-lb") != worker, "HAProxy was not reloaded"
        assert window.client.failures == []
        assert window.most_out == 0
    _all_up_soon()


def test_rolling_restart_fails_no_request(host: Any) -> None:
    before = _api_server_pids()
    window = _run_under_load(host, "playbooks/rolling_restart.yml")
    assert window.result.returncode == 0, window.result.stdout[-4000:]
    after = _api_server_pids()
    assert all(before[node] != after[node] for node in NODES), (before, after)
    # Answered while every api-server was restarted in turn (and, by the window, on both sides).
    assert window.during > 0
    assert window.client.failures == []
    assert window.most_out <= 1
    _all_up_soon()


def test_rolling_upgrade_migrates_once_and_fails_no_request(host: Any) -> None:
    window = _run_under_load(host, "playbooks/rolling_upgrade.yml")
    result = window.result
    assert result.returncode == 0, result.stdout[-4000:]
    migrated = changed_by(result.stdout, "Migrate the metadata database")
    print(f"migration ran on: {migrated}")
    assert migrated == ["cl-airflow1"]
    assert window.during > 0
    assert window.client.failures == []
    assert window.most_out <= 1
    _all_up_soon()
