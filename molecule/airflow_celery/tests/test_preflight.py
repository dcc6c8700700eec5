"""Celery inputs that cannot work stop every host in the preflight of site.yml, named with their fix,
before any file changes or any unit restarts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ansible_playbook, recap

NODES = ["mol-celery", "mol-celery-worker1", "mol-celery-worker2"]
WATCHED = ["/etc/airflow/airflow.cfg", "/etc/airflow/env.d/00-airflow.env"]


def _fails_in_preflight(extra_vars: dict[str, Any], *args: str) -> str:
    result = ansible_playbook("playbooks/site.yml", "-e", json.dumps(extra_vars), *args)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output[-3000:]
    assert all(counters["changed"] == 0 for counters in recap(result.stdout).values()), output[-3000:]
    return output


# The scheduler's host and both workers talk to the broker. The first failure stops every host
# (any_errors_fatal), so the workers are checked in a run of their own.
@pytest.mark.parametrize("nodes", [NODES[:1], NODES[1:]], ids=["scheduler", "workers"])
def test_an_unreachable_broker_is_named_from_every_host_that_needs_it(host: Any, nodes: list[str]) -> None:
    before = {path: host.file(path).sha256sum for path in WATCHED}
    url = "rediss://:not-shown@mol-celery-redis:6390/0"
    output = _fails_in_preflight({"airflow_celery_broker_url": url, "airflow_celery_broker_connect_timeout": 2},
                                 "--limit", ",".join(nodes))
    for node in nodes:
        assert (f"Cannot reach the Celery broker at rediss://:***@mol-celery-redis:6390/0 (mol-celery-redis:6390) "
                f"from {node} within 2 s") in output, output[-3000:]
    assert "not-shown" not in output
    assert {path: host.file(path).sha256sum for path in WATCHED} == before


def test_a_broker_ca_file_without_tls_or_that_is_missing_is_refused() -> None:
    output = _fails_in_preflight({"airflow_celery_broker_url": "redis://:not-shown@mol-celery-redis:6379/0",
                                  "airflow_celery_broker_ca_file": "/nonexistent/redis-ca.crt"}, "--limit", "mol-celery")
    assert ("airflow_celery_broker_ca_file '/nonexistent/redis-ca.crt' must be an existing PEM file on the controller, "
            "for a broker reached over TLS: airflow_celery_broker_url (not shown) must start with rediss://") in output, (
        output[-3000:])
    assert "not-shown" not in output


# Flower's host fails the same check; the first host to fail stops every host (any_errors_fatal), so
# each role's message is asked of its own hosts.
def test_flower_without_the_celery_executor_is_refused() -> None:
    output = _fails_in_preflight({"airflow_executor": "LocalExecutor"}, "--limit", "mol-celery")
    assert ("mol-celery runs Flower (group airflow_flower) but airflow_executor 'LocalExecutor' "
            "does not name CeleryExecutor") in output, output[-3000:]


def test_a_worker_without_the_celery_executor_is_refused() -> None:
    output = _fails_in_preflight({"airflow_executor": "LocalExecutor"}, "--limit", ",".join(NODES[1:]))
    for node in ("mol-celery-worker1", "mol-celery-worker2"):
        assert (f"{node} is a Celery worker (group airflow_workers) but airflow_executor 'LocalExecutor' "
                "does not name CeleryExecutor") in output, output[-3000:]
