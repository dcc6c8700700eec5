"""The airflow_lb_healthcheck role's variables wired to its filters, rendered by Ansible on the
controller from registered results (no host is touched): the gate's checks, and the report with the
job heartbeats checked for every host in one process when Airflow names the hosts with its default
hostname_callable, else by each host for itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from role_vars import render, role_task

EXPRESSION = ("{{ {'together': __airflow_lb_healthcheck_jobs_together, 'own': __airflow_lb_healthcheck_own_jobs.values() | list,"
              " 'report': __airflow_lb_healthcheck_report, 'failed': __airflow_lb_healthcheck_failed,"
              " 'argv': __airflow_lb_healthcheck_jobs_check_argv, 'http': __airflow_lb_healthcheck_http_checks,"
              " 'gate_name': __airflow_lb_healthcheck_jobs.keys() | join(', ')} }}")
HTTP = {"api-server": {"healthy": True}, "metadatabase": {"healthy": True}}
PROBE = {"http": HTTP, "airflow_hostname": "airflow1.example.com"}
CLUSTER = {"rc": 1, "stdout_lines": ["DagProcessorJob@airflow1.example.com alive", "TriggererJob@airflow1.example.com dead",
                                     "TriggererJob@airflow2.example.com alive"]}
HEADER = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,"
STAT = {"results": [
    {"item": "lb1", "stdout_lines": [HEADER, "airflow_api,localhost,0,0,0,1,,5,,,,,,0,0,0,0,UP,1,", ""]},
    {"item": "lb2", "stdout_lines": [HEADER, "airflow_api,localhost,0,0,0,1,,5,,,,,,0,0,0,0,DRAIN,1,",
                                     "airflow_api,localhost2,0,0,0,1,,5,,,,,,0,0,0,0,UP,1,"]},
]}
CASES: dict[str, dict[str, Any]] = {
    "default_callable": {"__airflow_lb_healthcheck_probe": PROBE, "__airflow_lb_healthcheck_cluster_jobs": CLUSTER,
                         "__airflow_lb_healthcheck_stat": STAT},
    "callable_in_config": {"airflow_config": {"core": {"hostname_callable": "mycompany.net.hostname"}},
                           "__airflow_lb_healthcheck_probe": {"http": HTTP, "command": {"stdout_lines": ["TriggererJob alive"]}}},
    "callable_in_environment": {"airflow_environment": {"AIRFLOW__CORE__HOSTNAME_CALLABLE": "socket.gethostname"},
                                "__airflow_lb_healthcheck_probe": {"http": HTTP}},
    "default_callable_spelled_out": {"airflow_config": {"core": {"hostname_callable": "airflow.utils.net.getfqdn"}},
                                     "__airflow_lb_healthcheck_probe": PROBE, "__airflow_lb_healthcheck_cluster_jobs": CLUSTER},
    # The check of every host was skipped (no host of the play has jobs to check): nothing alive.
    "cluster_check_skipped": {"__airflow_lb_healthcheck_probe": PROBE,
                              "__airflow_lb_healthcheck_cluster_jobs": {"skipped": True, "changed": False}},
    "scheduler_only": {"airflow_lb_healthcheck_components": ["scheduler"], "__airflow_lb_healthcheck_stat": STAT,
                       "__airflow_lb_healthcheck_probe": {"http": {"scheduler": {"healthy": False}}}},
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    play_vars = {"airflow_lb_healthcheck_components": ["api-server", "dag-processor", "triggerer"]}
    return render(tmp_path_factory.mktemp("healthcheck_vars"), "airflow_lb_healthcheck", EXPRESSION, CASES, play_vars)


def test_the_gate_checks_the_endpoints_and_the_jobs_of_the_host(rendered: dict[str, Any]) -> None:
    case = rendered["callable_in_environment"]
    assert case["http"] == [
        {"name": "api-server", "url": "http://127.0.0.1:8080/api/v2/version"},
        {"name": "metadatabase", "url": "http://127.0.0.1:8080/api/v2/monitor/health", "json_path": "metadatabase.status",
         "json_value": "healthy"},
    ]
    assert case["argv"] == ["/usr/local/bin/airflow-jobs-check", "DagProcessorJob", "TriggererJob"]
    assert case["gate_name"] == "dag-processor, triggerer"


def test_a_host_without_jobs_runs_no_jobs_check(rendered: dict[str, Any]) -> None:
    assert rendered["scheduler_only"]["argv"] == []
    assert rendered["scheduler_only"]["http"] == [{"name": "scheduler", "url": "http://127.0.0.1:8974/health"}]


def test_with_the_default_hostname_callable_the_host_reads_its_lines_of_the_cluster_check(rendered: dict[str, Any]) -> None:
    for case in ("default_callable", "default_callable_spelled_out"):
        assert rendered[case]["together"] is True
        assert rendered[case]["own"] == ["DagProcessorJob@airflow1.example.com", "TriggererJob@airflow1.example.com"]
        # Only this host's alive lines count; another host's alive triggerer does not.
        assert rendered[case]["report"]["dag-processor"] == "healthy"
        assert rendered[case]["report"]["triggerer"] == "unhealthy"


@pytest.mark.parametrize("case", ["callable_in_config", "callable_in_environment"])
def test_with_another_hostname_callable_each_host_checks_its_own_jobs(rendered: dict[str, Any], case: str) -> None:
    assert rendered[case]["together"] is False
    assert rendered[case]["own"] == ["DagProcessorJob", "TriggererJob"]


def test_the_own_check_lines_are_read_without_the_cluster_check(rendered: dict[str, Any]) -> None:
    report = rendered["callable_in_config"]["report"]
    assert (report["dag-processor"], report["triggerer"]) == ("unhealthy", "healthy")
    # No command ran (a probe without one): every job is unhealthy, nothing fails to render.
    report = rendered["callable_in_environment"]["report"]
    assert (report["dag-processor"], report["triggerer"]) == ("unhealthy", "unhealthy")


def test_a_skipped_cluster_check_leaves_the_jobs_unhealthy(rendered: dict[str, Any]) -> None:
    assert rendered["cluster_check_skipped"]["failed"] == ["dag-processor", "triggerer"]


def test_the_report_of_an_api_server_host_shows_its_server_on_each_load_balancer(rendered: dict[str, Any]) -> None:
    case = rendered["default_callable"]
    # (The json callback sorts the keys; the filter's order is tested in test_airflow_lb_healthcheck_filters.py.)
    assert case["report"] == {"api-server": "healthy", "metadatabase": "healthy", "dag-processor": "healthy",
                              "triggerer": "unhealthy", "server on lb1": "UP", "server on lb2": "DRAIN"}
    assert case["failed"] == ["triggerer", "server on lb2"]


def test_a_host_without_api_server_has_no_server_in_the_report(rendered: dict[str, Any]) -> None:
    assert rendered["scheduler_only"]["report"] == {"scheduler": "unhealthy"}
    assert rendered["scheduler_only"]["failed"] == ["scheduler"]


def test_a_host_without_a_load_balancer_read_reports_no_server(rendered: dict[str, Any]) -> None:
    assert not any(key.startswith("server on") for key in rendered["callable_in_config"]["report"])


def test_a_drain_waits_only_on_the_load_balancers_where_the_server_is_not_down(tmp_path: Path) -> None:
    """tasks/drain.yml: HAProxy never reports DRAIN for a server its checks hold DOWN, so the module's
    wait (the task's own expression) is off there (community.general#9020) and on everywhere else."""
    drain = role_task("airflow_lb_healthcheck", "drain.yml", "Drain in HAProxy the host {{ airflow_lb_healthcheck_host }}")
    wait = drain["community.general.haproxy"]["wait"]
    stat = {"results": [
        {"item": "lb1", "stdout_lines": [HEADER, "airflow_api,localhost,0,0,0,1,,5,,,,,,0,0,0,0,UP,1,"]},
        {"item": "lb2", "stdout_lines": [HEADER, "airflow_api,localhost,0,0,0,1,,5,,,,,,0,0,0,0,DOWN,1,"]},
        {"item": "lb3", "stdout_lines": [HEADER, "airflow_api,localhost,0,0,0,1,,5,,,,,,0,0,0,0,DOWN 1/2,1,"]},
        {"item": "lb4", "stdout_lines": [HEADER, "airflow_api,localhost,0,0,0,1,,5,,,,,,0,0,0,0,MAINT,1,"]},
    ]}
    waits = render(tmp_path, "airflow_lb_healthcheck", wait, {
        lb: {"item": lb, "__airflow_lb_healthcheck_stat": stat, "airflow_lb_healthcheck_host": "localhost"}
        for lb in ("lb1", "lb2", "lb3", "lb4")})
    assert waits == {"lb1": True, "lb2": False, "lb3": False, "lb4": True}
