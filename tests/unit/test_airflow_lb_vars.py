"""The airflow_lb role's derived variables, rendered by Ansible on the controller (no host is touched).

One ansible-playbook run on localhost renders, per case, the HAProxy version and installed state
the role derives from its probe, and the entries of its one files task.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "airflow_lb"
BIN = Path(sys.executable).parent


def probe(installed: bool, version: str | None) -> dict[str, Any]:
    """A registered result of the role's host_probe after the install step."""
    return {"changed": False, "packages": {"haproxy": installed}, "package_versions": {"haproxy": version}}


# name -> the probe after the install step
CASES: dict[str, dict[str, Any]] = {
    "debian_installed": probe(True, "2.6.12-1+deb12u1"),
    "el8_installed": probe(True, "1.8.27-5.el8"),
    "epoch": probe(True, "1:2.8.3-1.el9"),
    "check_mode_first_run": probe(False, None),
}
EXPRESSION = ("{{ {'version': __airflow_lb_haproxy_version, 'installed': __airflow_lb_haproxy_installed | bool,"
              " 'files': __airflow_lb_files} }}")


def case_task(name: str, probe_result: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """A debug task that renders the derived variables with the given probe result."""
    return {"name": name, "ansible.builtin.debug": {"msg": EXPRESSION},
            "vars": {"__airflow_lb_probe": probe_result, **extra}}


def write_playbook(tmp_path: Path, tls: dict[str, str]) -> Path:
    """A playbook with the role's defaults and vars and one task per case (plus a TLS case)."""
    (tmp_path / "templates").symlink_to(ROLE / "templates")
    tasks = [case_task(name, probe_result, {}) for name, probe_result in CASES.items()]
    tasks.append(case_task("tls", CASES["debian_installed"], tls))
    play = {"name": "Render", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars_files": [str(ROLE / "defaults" / "main.yml"), str(ROLE / "vars" / "main.yml")], "tasks": tasks}
    playbook = tmp_path / "render.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    return playbook


def run_playbook(playbook: Path) -> dict[str, dict[str, Any]]:
    """Run it; the rendered message of each task, by task name."""
    env = os.environ | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_LOCALHOST_WARNING": "0",
                        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"}
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook)], capture_output=True,
                          text=True, env=env, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    return {task["task"]["name"]: task["hosts"]["localhost"]["msg"] for task in tasks}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp_path = tmp_path_factory.mktemp("airflow_lb")
    (tmp_path / "lb.crt").write_text("-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n")
    (tmp_path / "lb.key").write_text("-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n")
    tls = {"airflow_lb_tls_cert": str(tmp_path / "lb.crt"), "airflow_lb_tls_key": str(tmp_path / "lb.key")}
    return run_playbook(write_playbook(tmp_path, tls))


@pytest.mark.parametrize(("case", "version", "installed"), [
    ("debian_installed", "2.6.12", True),
    ("el8_installed", "1.8.27", True),
    ("epoch", "2.8.3", True),
    ("check_mode_first_run", "2.6", False),
])
def test_haproxy_version_and_installed_come_from_the_probe(rendered: dict[str, dict[str, Any]], case: str,
                                                                     version: str, installed: bool) -> None:
    assert (rendered[case]["version"], rendered[case]["installed"]) == (version, installed)


def test_without_tls_only_haproxy_cfg_is_written_and_validated(rendered: dict[str, dict[str, Any]]) -> None:
    [cfg] = rendered["debian_installed"]["files"]
    assert {key: cfg[key] for key in ("path", "owner", "group", "mode", "validate")} == {
        "path": "/etc/haproxy/haproxy.cfg", "owner": "root", "group": "haproxy", "mode": "0640",
        "validate": "haproxy -c -f %s"}
    assert "retry-on conn-failure empty-response" in cfg["content"]
    assert cfg["content"].startswith("#")  # ansible_managed, as a comment
    assert "ssl crt" not in cfg["content"]


def test_the_template_leaves_out_what_haproxy_1_8_lacks(rendered: dict[str, dict[str, Any]]) -> None:
    assert "retry-on" not in rendered["el8_installed"]["files"][-1]["content"]


def test_with_tls_the_pem_comes_first_as_a_secret(rendered: dict[str, dict[str, Any]]) -> None:
    directory, pem, cfg = rendered["tls"]["files"]
    assert directory == {"path": "/etc/haproxy/certs", "state": "directory", "owner": "root", "group": "haproxy",
                         "mode": "0750"}
    assert {key: pem[key] for key in ("path", "owner", "group", "mode", "secret")} == {
        "path": "/etc/haproxy/certs/airflow.pem", "owner": "root", "group": "haproxy", "mode": "0640", "secret": True}
    assert "validate" not in pem
    assert pem["content"] == ("-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n"
                              "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n")
    assert "ssl crt /etc/haproxy/certs/airflow.pem" in cfg["content"]
    assert cfg["validate"] == "haproxy -c -f %s"
