"""The filters of the airflow_lb_healthcheck role: its HTTP checks, job checks, HAProxy server states
and health report (plain functions, no host, no network)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter import (
    haproxy_server_status,
    health_http_checks,
    health_job_checks,
    health_report,
)

API = "http://127.0.0.1:8080"
SCHEDULER = "http://127.0.0.1:8974/health"
COLUMNS = [
    "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout", "dreq", "dresp",
    "ereq", "econ", "eresp", "wretr", "wredis", "status", "weight", "act", "bck", "chkfail", "chkdown",
    "lastchg", "downtime", "qlimit", "pid", "iid", "sid", "throttle", "lbtot", "tracked", "type", "rate",
    "rate_lim", "rate_max", "check_status", "check_code",
]


def stat_row(pxname: str, svname: str, status: str) -> str:
    """One line of `show stat` with the given names and status, the other columns filled."""
    values = {"pxname": pxname, "svname": svname, "status": status, "scur": "0", "check_status": "L7OK"}
    return ",".join(values.get(column, "") for column in COLUMNS) + ","


def show_stat(*rows: str) -> str:
    """An answer of HAProxy's `show stat`: header, rows, and the blank line HAProxy ends it with."""
    return "\n".join(["# " + ",".join(COLUMNS) + ",", *rows, ""]) + "\n"


STAT = show_stat(stat_row("http", "FRONTEND", "OPEN"), stat_row("airflow_api", "airflow1", "UP"),
                 stat_row("airflow_api", "airflow2", "DRAIN"), stat_row("airflow_api", "airflow3", "MAINT (via x)"),
                 stat_row("other", "airflow4", "UP"), stat_row("airflow_api", "BACKEND", "UP"))


# health_http_checks

def test_http_checks_of_an_api_server_and_scheduler_host() -> None:
    checks = health_http_checks.health_http_checks(["api-server", "scheduler", "dag-processor", "triggerer"], API, SCHEDULER)
    assert checks == [
        {"name": "api-server", "url": f"{API}/api/v2/version"},
        {"name": "scheduler", "url": SCHEDULER},
        {"name": "metadatabase", "url": f"{API}/api/v2/monitor/health", "json_path": "metadatabase.status",
         "json_value": "healthy"},
    ]


def test_http_checks_follow_the_components_order() -> None:
    checks = health_http_checks.health_http_checks(["scheduler", "api-server"], API, SCHEDULER)
    assert [check["name"] for check in checks] == ["scheduler", "api-server", "metadatabase"]


@pytest.mark.parametrize(("components", "names"), [
    (["scheduler"], ["scheduler"]),
    (["dag-processor", "triggerer"], []),
    ([], []),
])
def test_only_an_api_server_host_checks_the_metadata_database(components: list[str], names: list[str]) -> None:
    assert [c["name"] for c in health_http_checks.health_http_checks(components, API, SCHEDULER)] == names


@pytest.mark.parametrize("components", ["api-server", None, {"api-server": 1}])
def test_http_checks_refuse_what_is_not_a_list(components: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="list of components"):
        health_http_checks.health_http_checks(components, API, SCHEDULER)


# health_job_checks

def test_job_checks_of_the_components_with_a_heartbeat() -> None:
    components = ["api-server", "triggerer", "scheduler", "dag-processor"]
    expected = {"triggerer": "TriggererJob", "dag-processor": "DagProcessorJob"}
    assert health_job_checks.health_job_checks(components) == expected


def test_job_checks_for_the_check_of_every_host_name_the_host() -> None:
    checks = health_job_checks.health_job_checks(["dag-processor", "triggerer"], "airflow1.example.com")
    assert checks == {"dag-processor": "DagProcessorJob@airflow1.example.com",
                      "triggerer": "TriggererJob@airflow1.example.com"}


def test_a_celery_worker_is_checked_by_a_ping_named_like_the_host() -> None:
    assert health_job_checks.health_job_checks(["celery-worker"]) == {"celery-worker": "CeleryWorker"}
    assert health_job_checks.health_job_checks(["celery-worker"], "worker1.example.com") == {
        "celery-worker": "CeleryWorker@worker1.example.com"}


def test_a_host_without_jobs_has_no_job_check() -> None:
    assert health_job_checks.health_job_checks(["api-server", "scheduler"], "airflow1") == {}


def test_job_checks_refuse_a_string() -> None:
    with pytest.raises(AnsibleFilterError, match="list of components"):
        health_job_checks.health_job_checks("triggerer")


# haproxy_server_status

def test_server_status_on_each_load_balancer() -> None:
    results: list[dict[str, Any]] = [
        {"item": "lb1", "stdout": STAT},
        {"item": "lb2", "stdout_lines": show_stat(stat_row("airflow_api", "airflow1", "DOWN")).splitlines()},
    ]
    assert haproxy_server_status.haproxy_server_status(results, "airflow_api", "airflow1") == {"lb1": "UP", "lb2": "DOWN"}


@pytest.mark.parametrize(("server", "status"), [
    ("airflow2", "DRAIN"),
    ("airflow3", "MAINT (via x)"),
    ("airflow4", "absent"),  # in another backend only
    ("airflow1.example.com", "absent"),  # names are compared as they are, not as patterns
    ("airflow", "absent"),
])
def test_server_status_reads_the_status_column_of_the_server(server: str, status: str) -> None:
    assert haproxy_server_status.server_status(STAT.splitlines(), "airflow_api", server) == status


def test_server_status_finds_the_status_column_by_its_header() -> None:
    columns = ["pxname", "svname", "status", "scur"]
    lines = ["# " + ",".join(columns), "airflow_api,airflow1,UP 2/3,0"]
    assert haproxy_server_status.server_status(lines, "airflow_api", "airflow1") == "UP 2/3"


@pytest.mark.parametrize("stdout", ["", "Permission denied.\n", "Unknown command.\n"])
def test_an_answer_without_a_table_gives_absent(stdout: str) -> None:
    results = [{"item": "lb1", "stdout": stdout}]
    assert haproxy_server_status.haproxy_server_status(results, "airflow_api", "airflow1") == {"lb1": "absent"}


def test_no_load_balancer_gives_no_state() -> None:
    assert haproxy_server_status.haproxy_server_status([], "airflow_api", "airflow1") == {}


@pytest.mark.parametrize("results", [STAT, {"item": "lb1", "stdout": STAT}, None])
def test_server_status_refuses_what_is_not_a_list_of_results(results: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="list of a looped task's results"):
        haproxy_server_status.haproxy_server_status(results, "airflow_api", "airflow1")


# health_report

HTTP = {"api-server": {"status": 200, "healthy": True}, "scheduler": {"status": -1, "healthy": False},
        "metadatabase": {"status": 200, "healthy": True}}


def test_report_of_a_host_in_order() -> None:
    report = health_report.health_report(
        HTTP, jobs={"dag-processor": "DagProcessorJob", "triggerer": "TriggererJob"},
        job_lines=["DagProcessorJob alive", "TriggererJob dead"], servers={"lb1": "UP", "lb2": "DRAIN"})
    assert list(report.items()) == [("api-server", "healthy"), ("scheduler", "unhealthy"), ("metadatabase", "healthy"),
                                    ("dag-processor", "healthy"), ("triggerer", "unhealthy"),
                                    ("server on lb1", "UP"), ("server on lb2", "DRAIN")]


def test_report_reads_only_the_host_s_own_lines_of_the_check_of_every_host() -> None:
    lines = ["DagProcessorJob@airflow1.example.com alive", "TriggererJob@airflow1.example.com dead",
             "TriggererJob@airflow2.example.com alive"]
    jobs = {"dag-processor": "DagProcessorJob@airflow1.example.com", "triggerer": "TriggererJob@airflow1.example.com"}
    assert health_report.health_report({}, jobs=jobs, job_lines=lines) == {"dag-processor": "healthy",
                                                                           "triggerer": "unhealthy"}


def test_a_job_the_check_did_not_mention_is_unhealthy() -> None:
    assert health_report.health_report({}, jobs={"triggerer": "TriggererJob"}, job_lines=[]) == {"triggerer": "unhealthy"}


def test_job_lines_may_be_the_check_s_stdout() -> None:
    report = health_report.health_report({}, jobs={"triggerer": "TriggererJob"}, job_lines="TriggererJob alive\n")
    assert report == {"triggerer": "healthy"}


def test_report_of_a_host_with_nothing_to_check_is_empty() -> None:
    assert health_report.health_report({}) == {}


def test_report_refuses_what_is_not_the_probe_s_http_result() -> None:
    with pytest.raises(AnsibleFilterError, match="http result"):
        health_report.health_report(["api-server"])  # type: ignore[arg-type]


# registration

@pytest.mark.parametrize("module", [health_http_checks, health_job_checks, haproxy_server_status, health_report])
def test_filters_are_registered_under_their_file_name(module: Any) -> None:
    name = module.__name__.rsplit(".", 1)[1]
    assert module.FilterModule().filters() == {name: getattr(module, name)}
