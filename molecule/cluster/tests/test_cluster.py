"""The deployed cluster: HAProxy sees three healthy api-servers, the nodes share their secrets, and a
DAG published to S3 runs to success through the load balancer."""

from __future__ import annotations

from typing import Any

from conftest import SMOKE_DAG, ansible_playbook, api, haproxy_states, recap, run_dag, s3, token

NODES = ["cl-airflow1", "cl-airflow2", "cl-airflow3"]
LB = "http://cl-lb"


def test_every_api_server_is_up_in_haproxy() -> None:
    assert haproxy_states("cl-lb") == {node: "UP" for node in NODES}


def test_lb_serves_the_api_and_the_execution_api(host: Any) -> None:
    status, version = api(host, "GET", "/api/v2/version", base=LB)
    assert status == 200 and version["version"] == "3.3.2", (status, version)
    status, body = api(host, "GET", "/execution/health", base=LB)
    assert status == 200, (status, body)


def test_configuration_points_at_the_lb(host: Any) -> None:
    for key, wanted in (("core execution_api_server_url", f"{LB}/execution/"), ("api base_url", LB)):
        assert host.check_output(f"airflow config get-value {key}") == wanted


def test_a_token_from_the_lb_is_accepted_by_every_node(host: Any) -> None:
    jwt = token(host, base=LB)
    for node in NODES:
        status, body = api(host, "GET", "/api/v2/dags?limit=1", jwt, base=f"http://{node}:8080")
        assert status == 200, f"{node} refused a token issued through the LB: {status} {body}"
    status, _ = api(host, "GET", "/api/v2/dags", base=LB)
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
    run = run_dag(host, "molecule_smoke", base=LB)
    assert run["state"] == "success", run
