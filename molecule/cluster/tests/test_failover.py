"""Failover: an api-server stopped on one node leaves the LB within 3 s of refusing connections
while a client at 10 req/s sees < 1 % errors; a scheduler killed on one node does not stop DAG
runs from succeeding."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from typing import Any

from cluster_probe import BACKEND, haproxy_states
from conftest import api, container_ip, docker_exec, lb_client, run_dag, token, wait_for

LB = "http://cl-lb"


def _systemctl(node: str, *args: str) -> None:
    docker_exec(node, "systemctl", *args, timeout=180)


def _refused_at(address: str, port: int, deadline: float) -> float:
    """When the api-server stopped accepting connections (wall clock, polled every 20 ms)."""
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, port), timeout=0.5).close()
        except OSError:
            return time.time()
        time.sleep(0.02)
    raise AssertionError("the api-server kept accepting connections")


def _marked_down_at(lb: str, server: str, after: float) -> float:
    """When HAProxy logged the server DOWN (journald's receive time of its own log line, wall clock):
    HAProxy's detection measured without the latency of polling its admin socket through `docker exec`."""
    journal = docker_exec(lb, "journalctl", "-o", "json", "--no-pager", "-t", "haproxy", "--since", f"@{int(after) - 1}")
    for line in journal.splitlines():
        entry = json.loads(line)
        logged = int(entry["__REALTIME_TIMESTAMP"]) / 1e6
        if f"{BACKEND}/{server} is DOWN" in str(entry.get("MESSAGE", "")) and logged >= after - 0.1:
            return logged
    raise AssertionError(f"no 'Server {BACKEND}/{server} is DOWN' line in the journal of {lb}:\n{journal[-2000:]}")


def test_a_stopped_api_server_leaves_the_lb_within_3_s(host: Any) -> None:
    client = lb_client(container_ip("cl-lb"), token(host, base=LB))
    with client:
        client.wait_answered(20, 60)
        # HAProxy's detection counts from the moment the api-server stops accepting connections;
        # `docker exec`, systemd and uvicorn's own shutdown come before that and are printed apart.
        stopping = time.time()
        stop = subprocess.Popen(["docker", "exec", "cl-airflow2", "systemctl", "stop", "airflow-api-server.service"])
        refused = _refused_at(container_ip("cl-airflow2"), 8080, time.monotonic() + 60)
        wait_for(lambda: haproxy_states("cl-lb")["cl-airflow2"].startswith("DOWN"), 60, interval=0.2,
                 what="cl-airflow2 marked DOWN")
        down = _marked_down_at("cl-lb", "cl-airflow2", refused)
        assert stop.wait(timeout=180) == 0
        # The two other servers answer while cl-airflow2 is out.
        while_down = client.wait_answered(30, 60)
        _systemctl("cl-airflow2", "start", "airflow-api-server.service")
        wait_for(lambda: haproxy_states("cl-lb")["cl-airflow2"] == "UP", 180, interval=1, what="cl-airflow2 UP again")
    error_rate = len(client.failures) / client.sent
    detection = down - refused
    print(f"api-server refused connections {refused - stopping:.2f} s after `systemctl stop` began and was marked "
          f"DOWN {detection:.2f} s later (HAProxy's log); {while_down} answered by then, {client.sent} requests, "
          f"error rate {error_rate:.2%}")
    # fall 3 x fastinter 500 ms = 1.5 s after the first failed check (inter 2 s): at most 3.5 s in
    # theory, 3 s is the documented claim; HAProxy's timers do not depend on the test's speed.
    assert detection <= 3.0
    assert error_rate < 0.01, client.failures


def test_runs_succeed_with_a_killed_scheduler(host: Any) -> None:
    restarts = int(host.check_output("systemctl show -p NRestarts --value airflow-scheduler"))
    host.run_expect([0], "systemctl kill -s KILL airflow-scheduler.service")
    run = run_dag(host, "molecule_smoke", base=LB)
    assert run["state"] == "success", run
    # systemd brought the killed scheduler back (Restart=always), and it reports healthy.
    wait_for(lambda: int(host.check_output("systemctl show -p NRestarts --value airflow-scheduler")) > restarts,
             120, what="scheduler restarted by systemd")
    wait_for(lambda: api(host, "GET", "/health", base="http://127.0.0.1:8974")[0] == 200, 120,
             what="scheduler health endpoint answering 200")
