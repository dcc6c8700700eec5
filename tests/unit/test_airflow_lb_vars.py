"""The airflow_lb role's derived HAProxy version and its haproxy.cfg template, rendered by Ansible on
the controller (no host is touched).

The version comes from the registered `haproxy -v` of tasks/haproxy.yml; the template is rendered
with the role's defaults and vars as ansible.builtin.template would render it.
"""

from __future__ import annotations

from typing import Any

import pytest
from role_vars import render


def haproxy_v(stdout: str, rc: int = 0) -> dict[str, Any]:
    """A registered result of the role's `haproxy -v` task."""
    return {"changed": False, "rc": rc, "stdout": stdout}


# name -> the registered `haproxy -v`
CASES: dict[str, dict[str, Any]] = {
    "debian": haproxy_v("HAProxy version 2.6.12-1+deb12u1 2023/12/16 - https://haproxy.org/\nStatus: long-term"),
    "el8": haproxy_v("HAProxy version 1.8.27-493ce0b 2020/11/06\nCopyright 2000-2020 Willy Tarreau"),
    "el9": haproxy_v("HAProxy version 2.4.22-f8e3218 2023/02/14 - https://haproxy.org/"),
    "check_mode_first_run": haproxy_v("", rc=2),
}
EXPRESSION = "{{ {'version': __airflow_lb_haproxy_version, 'cfg': lookup('ansible.builtin.template', 'haproxy.cfg.j2')} }}"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp_path = tmp_path_factory.mktemp("airflow_lb")
    cases: dict[str, dict[str, Any]] = {name: {"__airflow_lb_haproxy_v": result} for name, result in CASES.items()}
    cases["tls"] = {"__airflow_lb_haproxy_v": CASES["debian"], "airflow_lb_tls_cert": "/controller/lb.crt",
                    "airflow_lb_tls_key": "/controller/lb.key"}
    return render(tmp_path, "airflow_lb", EXPRESSION, cases, {"airflow_lb_backend_hosts": ["localhost"]})


@pytest.mark.parametrize(("case", "version"), [
    ("debian", "2.6.12"),
    ("el8", "1.8.27"),
    ("el9", "2.4.22"),
    ("check_mode_first_run", "2.6"),
])
def test_the_haproxy_version_comes_from_haproxy_v(rendered: dict[str, dict[str, Any]], case: str, version: str) -> None:
    assert rendered[case]["version"] == version


def test_without_tls_the_template_serves_plain_http(rendered: dict[str, dict[str, Any]]) -> None:
    cfg = rendered["debian"]["cfg"]
    assert cfg.startswith("#")  # ansible_managed, as a comment
    assert "retry-on conn-failure empty-response" in cfg
    assert "ssl crt" not in cfg
    assert "server localhost localhost:8080" in cfg


def test_the_template_leaves_out_what_haproxy_1_8_lacks(rendered: dict[str, dict[str, Any]]) -> None:
    assert "retry-on" not in rendered["el8"]["cfg"]
    assert "retry-on" in rendered["el9"]["cfg"]


def test_with_tls_the_https_frontend_loads_the_pem(rendered: dict[str, dict[str, Any]]) -> None:
    cfg = rendered["tls"]["cfg"]
    assert "ssl crt /etc/haproxy/certs/airflow.pem" in cfg
    assert "ssl-min-ver TLSv1.2" in cfg


def test_the_preflight_names_the_options_out_of_range(tmp_path_factory: pytest.TempPathFactory) -> None:
    cases = {
        "defaults": {},
        "bad": {"airflow_lb_http_port": 0, "airflow_lb_backend_port": 70000, "airflow_lb_timeout_client": "1 minute",
                "airflow_lb_slowstart": 30},
    }
    expression = "{{ {'ports': __airflow_lb_bad_ports, 'durations': __airflow_lb_bad_durations} }}"
    rendered = render(tmp_path_factory.mktemp("airflow_lb_checks"), "airflow_lb", expression, cases)
    assert rendered["defaults"] == {"ports": [], "durations": []}
    assert rendered["bad"]["ports"] == [{"key": "airflow_lb_http_port", "value": "0"},
                                        {"key": "airflow_lb_backend_port", "value": "70000"}]
    assert rendered["bad"]["durations"] == [{"key": "airflow_lb_timeout_client", "value": "1 minute"}]
