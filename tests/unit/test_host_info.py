"""Unit tests of the airflow_deploy.cluster.host_info module (run as a play runs it)."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ansible_collections.airflow_deploy.cluster.plugins.modules.host_info import parse_package_query, parse_systemctl_show
from module_runner import run_module

# systemctl show --property=LoadState,ActiveState,UnitFileState of three units, as systemd prints it.
SHOW = """LoadState=loaded
ActiveState=active
UnitFileState=enabled

LoadState=not-found
ActiveState=inactive
UnitFileState=

LoadState=masked
ActiveState=inactive
UnitFileState=masked
"""


@pytest.fixture
def fake_systemctl(tmp_path: Path) -> dict[str, str]:
    """A systemctl on PATH that answers `show` with SHOW and `list-units` with two running units."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "show.txt").write_text(SHOW)
    script = bin_dir / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {tmp_path}/calls\n'
        f'case "$1" in show) cat {bin_dir}/show.txt ;;\n'
        "  list-units) printf 'airflow-scheduler.service loaded active running Apache Airflow scheduler\\n"
        "airflow-api-server.service loaded active running Apache Airflow api-server\\n' ;;\n"
        "esac\n"
    )
    script.chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port on the loopback that accepts connections."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_parse_systemctl_show_maps_blocks_to_units_in_order() -> None:
    states = parse_systemctl_show(SHOW, ["chrony.service", "ntpd.service", "firewalld.service"])
    assert states == {
        "chrony.service": {"load_state": "loaded", "active_state": "active", "unit_file_state": "enabled"},
        "ntpd.service": {"load_state": "not-found", "active_state": "inactive", "unit_file_state": ""},
        "firewalld.service": {"load_state": "masked", "active_state": "inactive", "unit_file_state": "masked"},
    }


def test_parse_systemctl_show_leaves_units_without_an_answer_empty() -> None:
    states = parse_systemctl_show("", ["chrony.service"])
    assert states == {"chrony.service": {"load_state": "", "active_state": "", "unit_file_state": ""}}


def test_units_and_running_services_come_from_one_systemctl_call_each(tmp_path: Path,
                                                                      fake_systemctl: dict[str, str]) -> None:
    result = run_module("host_info", {"units": ["chrony.service", "ntpd.service", "firewalld.service"],
                                       "running_pattern": "airflow-*.service"}, env=fake_systemctl)
    assert result["changed"] is False
    assert result["units"]["chrony.service"]["load_state"] == "loaded"
    assert result["units"]["ntpd.service"]["load_state"] == "not-found"
    assert result["running"] == ["airflow-api-server.service", "airflow-scheduler.service"]
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == ["show --property=LoadState,ActiveState,UnitFileState -- chrony.service ntpd.service firewalld.service",
                     "list-units --type=service --state=running --plain --no-legend -- airflow-*.service"]


def test_python_version_of_an_interpreter_and_a_missing_one(tmp_path: Path) -> None:
    present = run_module("host_info", {"python": sys.executable})
    assert present["python"] == {"path": sys.executable, "exists": True, "version": "%d.%d" % sys.version_info[:2]}
    missing = run_module("host_info", {"python": str(tmp_path / "nope" / "python")})
    assert missing["python"]["exists"] is False and missing["python"]["version"] is None
    not_python = tmp_path / "false"
    not_python.write_text("#!/bin/sh\nexit 3\n")
    not_python.chmod(0o755)
    broken = run_module("host_info", {"python": str(not_python)})
    assert broken["python"] == {"path": str(not_python), "exists": True, "version": None}


def test_env_hashes_hash_whole_lines_and_never_return_values(tmp_path: Path) -> None:
    env_file = tmp_path / "airflow.env"
    env_file.write_text("AIRFLOW__CORE__FERNET_KEY=secret-one\nAIRFLOW__API__SECRET_KEY=secret-two\n")
    result = run_module("host_info", {"env_file": str(env_file),
                                       "env_names": ["AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"]})
    assert result["env_hashes"] == {
        "AIRFLOW__CORE__FERNET_KEY": hashlib.sha256(b"AIRFLOW__CORE__FERNET_KEY=secret-one").hexdigest(),
        "AIRFLOW__API_AUTH__JWT_SECRET": hashlib.sha256(b"").hexdigest(),
    }
    assert "secret-one" not in str(result)


def test_env_hashes_are_null_without_the_file(tmp_path: Path) -> None:
    result = run_module("host_info", {"env_file": str(tmp_path / "absent.env"), "env_names": ["A"]})
    assert result["env_hashes"] is None


def test_tcp_reports_an_open_and_a_closed_port(listener: int) -> None:
    open_result = run_module("host_info", {"tcp": {"host": "127.0.0.1", "port": listener, "timeout": 2}})
    assert open_result["tcp"] == {"reachable": True, "error": None}
    closed = run_module("host_info", {"tcp": {"host": "127.0.0.1", "port": closed_port(), "timeout": 1}})
    assert closed["tcp"]["reachable"] is False
    assert "refused" in closed["tcp"]["error"].lower()


def test_users_and_groups_are_read_from_the_account_databases() -> None:
    user, group = pwd.getpwuid(os.getuid()), grp.getgrgid(os.getgid())
    result = run_module("host_info", {"users": [user.pw_name, "no-such-user-x"],
                                       "groups": [group.gr_name, "no-such-group-x"]})
    assert result["users"] == {
        user.pw_name: {"uid": user.pw_uid, "gid": user.pw_gid, "home": user.pw_dir, "shell": user.pw_shell,
                       "comment": user.pw_gecos},
        "no-such-user-x": None,
    }
    assert result["groups"] == {group.gr_name: {"gid": group.gr_gid}, "no-such-group-x": None}


def test_options_left_out_are_not_asked() -> None:
    result = run_module("host_info", {})
    assert result == {"changed": False, "units": {}, "users": {}, "groups": {}, "contents": {}, "stats": {},
                      "invocation": result["invocation"]}


def test_read_returns_contents_and_null_for_a_missing_file(tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    record.write_text('{"requirements": ["apache-airflow==3.3.2"]}')
    result = run_module("host_info", {"read": [str(record), str(tmp_path / "absent")]})
    assert result["contents"] == {str(record): '{"requirements": ["apache-airflow==3.3.2"]}',
                                  str(tmp_path / "absent"): None}


def fake_tool(tmp_path: Path, name: str, output: str, rc: int) -> dict[str, str]:
    """A package query tool on PATH that prints the output and exits with rc; it records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "output.txt").write_text(output)
    tool = bin_dir / name
    tool.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {tmp_path}/args\ncat {bin_dir}/output.txt\nexit {rc}\n")
    tool.chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


# What dpkg-query prints for an installed package, a removed one (its configuration kept) and one it
# knows as not installed (it prints nothing, and exits 1, for a package it does not know at all).
DPKG_OUTPUT = "haproxy installed 2.6.12-1+deb12u1\nsocat config-files 1.7.4.4-2\nlibfoo not-installed \n"


def test_packages_and_versions_from_dpkg(tmp_path: Path) -> None:
    env = fake_tool(tmp_path, "dpkg-query", DPKG_OUTPUT, 1)
    names = ["haproxy", "socat", "libfoo", "nope"]
    result = run_module("host_info", {"packages": {"manager": "dpkg", "names": names}}, env=env)
    assert result["packages"] == {"haproxy": True, "socat": False, "libfoo": False, "nope": False}
    assert result["package_versions"] == {"haproxy": "2.6.12-1+deb12u1", "socat": None, "libfoo": None, "nope": None}
    args = (tmp_path / "args").read_text().splitlines()
    assert args[0] == "--show" and "${Version}" in args[1] and args[-4:] == names


def test_packages_and_versions_from_rpm(tmp_path: Path) -> None:
    output = "haproxy installed 1.8.27-5.el8\npackage socat is not installed\nperl installed 4:5.26.3-422.el8\n"
    env = fake_tool(tmp_path, "rpm", output, 1)
    result = run_module("host_info", {"packages": {"manager": "rpm", "names": ["haproxy", "socat", "perl"]}}, env=env)
    assert result["packages"] == {"haproxy": True, "socat": False, "perl": True}
    assert result["package_versions"] == {"haproxy": "1.8.27-5.el8", "socat": None, "perl": "4:5.26.3-422.el8"}
    args = (tmp_path / "args").read_text().splitlines()
    assert args[0] == "--query" and "%{VERSION}-%{RELEASE}" in args[1]


def test_parse_package_query_keeps_the_first_version_of_a_name() -> None:
    output = "kernel installed 4.18.0-553.el8\nkernel installed 4.18.0-513.el8\nold installed\n"
    assert parse_package_query(output) == {"kernel": "4.18.0-553.el8", "old": None}


def test_a_failing_package_query_fails_the_probe(tmp_path: Path) -> None:
    env = fake_tool(tmp_path, "dpkg-query", "", 2)
    result = run_module("host_info", {"packages": {"manager": "dpkg", "names": ["haproxy"]}}, env=env)
    assert result["failed"] is True
    assert "failed (rc 2)" in result["msg"]
