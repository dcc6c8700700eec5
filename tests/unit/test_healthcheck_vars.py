"""The airflow_lb_healthcheck report's job heartbeats: checked for every host in one process when
Airflow names the hosts with its default hostname_callable, else by each host for itself; rendered
by Ansible on the controller from registered results (no host is touched)."""

from __future__ import annotations

from typing import Any

import pytest
from role_vars import render

EXPRESSION = ("{{ {'together': __airflow_lb_healthcheck_jobs_together | bool, 'own': __airflow_lb_healthcheck_own_job_checks,"
              " 'lines': __airflow_lb_healthcheck_job_lines} }}")
PROBE = {"http": {}, "airflow_hostname": "airflow1.example.com"}
CLUSTER = {"rc": 1, "stdout_lines": ["DagProcessorJob@airflow1.example.com alive", "TriggererJob@airflow1.example.com dead",
                                     "TriggererJob@airflow2.example.com alive"]}
CASES: dict[str, dict[str, Any]] = {
    "default_callable": {"__airflow_lb_healthcheck_probe": PROBE, "__airflow_lb_healthcheck_cluster_jobs": CLUSTER},
    "callable_in_config": {"airflow_config": {"core": {"hostname_callable": "mycompany.net.hostname"}},
                           "__airflow_lb_healthcheck_probe": {"http": {}, "command": {"stdout_lines": ["TriggererJob alive"]}}},
    "callable_in_environment": {"airflow_environment": {"AIRFLOW__CORE__HOSTNAME_CALLABLE": "socket.gethostname"},
                                "__airflow_lb_healthcheck_probe": PROBE},
    "default_callable_spelled_out": {"airflow_config": {"core": {"hostname_callable": "airflow.utils.net.getfqdn"}},
                                     "__airflow_lb_healthcheck_probe": PROBE, "__airflow_lb_healthcheck_cluster_jobs": CLUSTER},
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    play_vars = {"airflow_lb_healthcheck_components": ["api-server", "dag-processor", "triggerer"]}
    return render(tmp_path_factory.mktemp("healthcheck_vars"), "airflow_lb_healthcheck", EXPRESSION, CASES, play_vars)


def test_with_the_default_hostname_callable_the_host_reads_its_lines_of_the_cluster_check(rendered: dict[str, Any]) -> None:
    for case in ("default_callable", "default_callable_spelled_out"):
        assert rendered[case]["together"] is True
        assert rendered[case]["own"] == ["DagProcessorJob@airflow1.example.com", "TriggererJob@airflow1.example.com"]
        # Only this host's alive lines count; another host's alive triggerer does not.
        assert rendered[case]["lines"] == ["DagProcessorJob alive"]


@pytest.mark.parametrize("case", ["callable_in_config", "callable_in_environment"])
def test_with_another_hostname_callable_each_host_checks_its_own_jobs(rendered: dict[str, Any], case: str) -> None:
    assert rendered[case]["together"] is False


def test_the_own_check_lines_are_read_without_the_cluster_check(rendered: dict[str, Any]) -> None:
    assert rendered["callable_in_config"]["lines"] == ["TriggererJob alive"]
