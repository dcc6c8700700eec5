"""The deployed cluster: HAProxy sees three healthy api-servers, the nodes share their secrets, and a
DAG published to S3 runs to success through the load balancer."""

from __future__ import annotations

import json
import os
import socket
import ssl
import urllib.parse
import warnings
from pathlib import Path
from typing import Any

from cluster_probe import haproxy_states, s3
from conftest import SMOKE_DAG, ansible_playbook, api, container_ip, docker_exec, recap, run_dag, token, wait_for

NODES = ["cl-airflow1", "cl-airflow2", "cl-airflow3"]
LB = "http://cl-lb"


def test_every_api_server_is_up_in_haproxy() -> None:
    assert haproxy_states("cl-lb") == {node: "UP" for node in NODES}


def test_lb_serves_the_api_and_the_execution_api(host: Any) -> None:
    status, version = api(host, "GET", "/api/v2/version", base=LB)
    assert status == 200 and version["version"] == "3.3.2", (status, version)
    status, body = api(host, "GET", "/execution/health", base=LB)
    assert status == 200, (status, body)


def _https_get(path: str, context: ssl.SSLContext) -> tuple[str, int, Any]:
    """GET `path` from the HTTPS frontend of cl-lb: (TLS version, status, JSON body)."""
    with socket.create_connection((container_ip("cl-lb"), 443), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="cl-lb") as tls:
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: cl-lb\r\nConnection: close\r\n\r\n".encode())
        response = b"".join(iter(lambda: tls.recv(65536), b""))
        version = tls.version() or ""
    head, _separator, body = response.partition(b"\r\n\r\n")
    return version, int(head.split()[1]), json.loads(body)


def test_the_https_frontend_serves_the_api_with_tls_1_2_or_later() -> None:
    cert = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "cl-lb.crt"
    version, status, body = _https_get("/api/v2/version", ssl.create_default_context(cafile=cert))
    assert (status, body["version"]) == (200, "3.3.2"), (status, body)
    assert version in ("TLSv1.2", "TLSv1.3"), version
    # A client that offers TLS 1.1 only (and may use any cipher) is turned away by the server.
    old = ssl.create_default_context(cafile=cert)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
    refused: object
    try:
        refused = _https_get("/api/v2/version", old)
    except ssl.SSLError as error:
        refused = error.reason
    assert refused == "TLSV1_ALERT_PROTOCOL_VERSION", refused


def test_configuration_points_at_the_lb(host: Any) -> None:
    for key, wanted in (("core execution_api_server_url", f"{LB}/execution/"), ("api base_url", LB)):
        assert host.check_output(f"airflow config get-value {key}") == wanted


def test_a_token_from_the_lb_is_accepted_by_every_node(host: Any) -> None:
    jwt = token(host, base=LB)
    for node in NODES:
        status, body = api(host, "GET", "/api/v2/dags?limit=1", jwt, base=f"http://{node}:8080")
        assert status == 200, f"{node} refused a token issued through the LB: {status} {body}"
    status, _body = api(host, "GET", "/api/v2/dags", base=LB)
    assert status == 401, "the API answers without a login"


def test_healthcheck_playbook_reports_a_healthy_cluster() -> None:
    result = ansible_playbook("playbooks/healthcheck.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert all(counters["changed"] == 0 for counters in recap(result.stdout).values())
    report = " ".join(result.stdout.split())
    for node in NODES:
        assert node in report
    assert report.count("server on cl-lb: UP") == len(NODES), report[-3000:]


def test_a_dag_published_to_s3_runs_through_the_lb(host: Any) -> None:
    s3("cl-s3", "put", "airflow-dags", f"dags/team_a/{SMOKE_DAG.name}", SMOKE_DAG.read_text())
    # Each node syncs on its own schedule. Until all three have the file, the DAG processor of a
    # node without it marks the DAG stale (a file gone from its bundle) and the others mark it
    # active again: wait for every node's snapshot first.
    path = f"/var/lib/airflow/dags/team_a/current/{SMOKE_DAG.name}"
    wait_for(lambda: all(docker_exec(node, "ls", path, check=False).strip() == path
                         for node in NODES), 120, interval=1, what="the DAG file in every node's snapshot")
    run = run_dag(host, "molecule_smoke", base=LB)
    assert run["state"] == "success", run


def test_a_task_log_is_read_from_s3_after_the_local_copy_is_gone(host: Any) -> None:
    """Task logs in S3 (airflow_remote_log_folder): the log of the smoke run's first task, uploaded when
    the task ended, is served through the LB after its local copy is deleted from the node that ran it."""
    jwt = token(host, LB)
    status, runs = api(host, "GET", "/api/v2/dags/molecule_smoke/dagRuns?order_by=-start_date&limit=1", jwt, base=LB)
    assert status == 200 and runs["dag_runs"], runs
    run_id = runs["dag_runs"][0]["dag_run_id"]
    task_path = f"/api/v2/dags/molecule_smoke/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances/hello"
    status, instance = api(host, "GET", task_path, jwt, base=LB)
    assert status == 200 and instance["state"] == "success", instance
    node, attempt = instance["hostname"], instance["try_number"]
    assert node in NODES, f"the task ran on {node!r}, not on a node of the scenario"

    run_dir = f"/var/log/airflow/dag_id=molecule_smoke/run_id={run_id}"
    keys = s3("cl-s3", "list", "airflow-logs", f"cluster/dag_id=molecule_smoke/run_id={run_id}/task_id=hello/")
    assert keys == [f"cluster/dag_id=molecule_smoke/run_id={run_id}/task_id=hello/attempt={attempt}.log"], keys
    docker_exec(node, "test", "-f", f"{run_dir}/task_id=hello/attempt={attempt}.log")
    docker_exec(node, "rm", "-r", run_dir)

    status, log = api(host, "GET", f"{task_path}/logs/{attempt}?full_content=true", jwt, base=LB)
    assert status == 200, log
    events = [entry.get("event", "") if isinstance(entry, dict) else str(entry) for entry in log["content"]]
    assert any(f"s3://airflow-logs/cluster/dag_id=molecule_smoke/run_id={run_id}/task_id=hello/" in event
               for event in events), events[:5]
    assert any("molecule_smoke: hello ran" in event for event in events), events
