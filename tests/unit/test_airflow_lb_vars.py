"""The airflow_lb role's derived variables, rendered by Ansible on the controller (no host is touched).

One ansible-playbook run on localhost renders, per case, the HAProxy version and installed state
the role derives from its probe, and the entries of its one files task.
"""

from __future__ import annotations

from typing import Any

import pytest
from role_vars import render


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


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp_path = tmp_path_factory.mktemp("airflow_lb")
    (tmp_path / "lb.crt").write_text("-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n")
    (tmp_path / "lb.key").write_text("-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n")
    tls = {"airflow_lb_tls_cert": str(tmp_path / "lb.crt"), "airflow_lb_tls_key": str(tmp_path / "lb.key")}
    cases = {name: {"__airflow_lb_probe": probe_result} for name, probe_result in CASES.items()}
    cases["tls"] = {"__airflow_lb_probe": CASES["debian_installed"], **tls}
    return render(tmp_path, "airflow_lb", EXPRESSION, cases)


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
