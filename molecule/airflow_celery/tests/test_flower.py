"""Flower (role airflow_flower) on the control-plane node: loopback only, every request behind its
login, the workers as the broker sees them, the password only in the unit's root-only env file."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from conftest import assert_service_running, wait_for

FLOWER = "http://127.0.0.1:5555"
PASSWORD = "molecule-flower-password-0123"  # molecule.yml


def _status(host: Any, path: str, login: str = "") -> int:
    auth = f"-u {login} " if login else ""
    return int(host.run(f"curl -s -o /dev/null -w '%{{http_code}}' {auth}{FLOWER}{path}").stdout or 0)


def test_flower_runs_on_loopback_only(host: Any) -> None:
    assert_service_running(host, "airflow-flower.service")
    assert host.socket("tcp://127.0.0.1:5555").is_listening
    assert not host.socket("tcp://0.0.0.0:5555").is_listening
    # Not reachable from another host of the cluster.
    refused = subprocess.run(["docker", "exec", "mol-celery-worker1", "curl", "-s", "-m", "5", "http://mol-celery:5555/"],
                             capture_output=True, text=True, check=False, timeout=60)
    assert refused.returncode != 0, refused.stdout


def test_every_request_needs_the_login(host: Any) -> None:
    assert _status(host, "/") == 401
    assert _status(host, "/api/workers") == 401
    assert _status(host, "/api/workers", "admin:wrong-password-0123456") == 401


def test_flower_shows_both_workers(host: Any) -> None:
    def workers() -> list[str] | None:
        result = host.run(f"curl -s -u admin:{PASSWORD} '{FLOWER}/api/workers?refresh=1'")
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
