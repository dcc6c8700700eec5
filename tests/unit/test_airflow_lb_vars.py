"""The airflow_lb role's derived HAProxy version and its haproxy.cfg template, rendered by Ansible on
the controller (no host is touched).

The version comes from the registered `haproxy -v` of tasks/haproxy.yml; the template is rendered
with the role's defaults and vars as ansible.builtin.template would render it.
"""

from __future__ import annotations

from typing import Any

import pytest
from role_vars import render, role_task


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
    cases["flower"] = {"__airflow_lb_haproxy_v": CASES["debian"], "airflow_lb_flower_path": "/flower",
                       "airflow_lb_flower_hosts": ["localhost"], "airflow_lb_flower_port": 5556}
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


def test_a_flower_path_gets_its_own_backend_and_nothing_else_changes(rendered: dict[str, dict[str, Any]]) -> None:
    cfg = rendered["flower"]["cfg"]
    assert "use_backend flower if { path /flower } || { path_beg /flower/ }" in cfg
    # The rule comes before the default backend, Flower's servers in a backend of their own.
    assert cfg.index("use_backend flower") < cfg.index("default_backend airflow_api")
    flower = cfg[cfg.index("\nbackend flower"):]
    assert "server localhost localhost:5556" in flower and "airflow_api" not in flower
    assert "flower" not in rendered["debian"]["cfg"]


def test_the_preflight_names_a_flower_path_that_cannot_be_routed(tmp_path_factory: pytest.TempPathFactory) -> None:
    check = next(item for item in role_task("airflow_lb", "preflight.yml", "Check the inputs")["loop"]
                 if item["check"] == "Flower path")
    flower = {"airflow_lb_flower_path": "/flower", "airflow_lb_flower_hosts": ["localhost"]}
    cases: dict[str, dict[str, Any]] = {
        "off": {},
        "flower": flower,
        "no host": flower | {"airflow_lb_flower_hosts": []},
        "unknown host": flower | {"airflow_lb_flower_hosts": ["flower1"]},
        "airflow's own path": flower | {"airflow_lb_flower_path": "/api"},
        "two segments": flower | {"airflow_lb_flower_path": "/ops/flower"},
        "trailing slash": flower | {"airflow_lb_flower_path": "/flower/"},
        "relative": flower | {"airflow_lb_flower_path": "flower"},
    }
    ok = render(tmp_path_factory.mktemp("airflow_lb_flower_ok"), "airflow_lb", check["ok"], cases)
    assert [name for name, passed in ok.items() if not passed] == [
        "no host", "unknown host", "airflow's own path", "two segments", "trailing slash", "relative"]
    msg = render(tmp_path_factory.mktemp("airflow_lb_flower_msg"), "airflow_lb", check["msg"], {"bad": cases["unknown host"]})
    assert "airflow_lb_flower_path '/flower' must be one path segment such as /flower" in msg["bad"]
    assert "unknown: flower1" in msg["bad"]
