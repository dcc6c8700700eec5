"""Flower (role airflow_flower) on the control-plane node, served by HAProxy under /flower
(airflow_lb_flower_path): every request behind its login, the workers as the broker sees them, the
Airflow API still on the same frontend, the password only in the unit's root-only env file."""

from __future__ import annotations

import json
from typing import Any

from conftest import assert_service_running, wait_for

LB = "http://mol-celery-lb"
PASSWORD = "molecule-flower-password-0123"  # molecule.yml


def _status(host: Any, url: str, login: str = "") -> int:
    auth = f"-u {login} " if login else ""
    return int(host.run(f"curl -s -o /dev/null -w '%{{http_code}}' {auth}'{url}'").stdout or 0)


def test_flower_serves_its_prefix_on_the_network(host: Any) -> None:
    assert_service_running(host, "airflow-flower.service")
    assert host.socket("tcp://0.0.0.0:5555").is_listening
    assert "--url-prefix flower" in host.run("systemctl show -p ExecStart airflow-flower.service").stdout


def test_every_request_through_the_lb_needs_the_login(host: Any) -> None:
    assert _status(host, f"{LB}/flower/") == 401
    assert _status(host, f"{LB}/flower/api/workers") == 401
    assert _status(host, f"{LB}/flower/api/workers", "admin:wrong-password-0123456") == 401
    assert _status(host, f"{LB}/flower/", f"admin:{PASSWORD}") == 200


def test_the_airflow_api_keeps_the_rest_of_the_frontend(host: Any) -> None:
    version = json.loads(host.run(f"curl -s {LB}/api/v2/version").stdout)
    assert version["version"] == "3.3.2"
    # Only the path itself and what is under it go to Flower.
    assert _status(host, f"{LB}/flowerpot") != 401


def test_flower_through_the_lb_shows_both_workers(host: Any) -> None:
    def workers() -> list[str] | None:
        result = host.run(f"curl -s -u admin:{PASSWORD} '{LB}/flower/api/workers?refresh=1'")
        try:
            names = sorted(json.loads(result.stdout))
        except ValueError:
            return None
        return names if len(names) == 2 else None

    assert wait_for(workers, 120, what="both workers in Flower") == ["celery@mol-celery-worker1", "celery@mol-celery-worker2"]


def test_the_password_is_only_in_the_units_root_only_env_file(host: Any) -> None:
    found = host.run(f"grep -rlF {PASSWORD} /etc/airflow /etc/systemd/system").stdout.split()
    assert found == ["/etc/airflow/env.d/flower.env"]
    env_file = host.file("/etc/airflow/env.d/flower.env")
    assert (env_file.user, env_file.mode) == ("root", 0o600)
    assert "env.d/flower.env" in host.file("/etc/systemd/system/airflow-flower.service").content_string
    # The other units do not load it.
    assert "flower.env" not in host.file("/etc/systemd/system/airflow-scheduler.service").content_string
