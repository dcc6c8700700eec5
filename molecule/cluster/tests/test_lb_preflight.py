"""Bad load balancer inputs: every one is named in one run, before anything changes on the LB."""

from __future__ import annotations

import json

from cluster_probe import haproxy_worker_pid
from conftest import ansible_playbook, recap


def test_every_bad_load_balancer_input_is_named_before_any_change() -> None:
    worker = haproxy_worker_pid("cl-lb")
    bad = {"airflow_lb_http_port": 0, "airflow_lb_timeout_client": "1 minute"}
    result = ansible_playbook("playbooks/site.yml", "--limit", "airflow_lb", "-e", json.dumps(bad))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output[-3000:]
    assert "airflow_lb_http_port must be a TCP port between 1 and 65535 (got 0)" in output, output[-3000:]
    assert "airflow_lb_timeout_client ('1 minute'): use a number with an optional unit" in output, output[-3000:]
    assert all(counters["changed"] == 0 for counters in recap(result.stdout).values())
    assert haproxy_worker_pid("cl-lb") == worker, "HAProxy was reloaded"
