"""Unit tests of the airflow_deploy.cluster.host_info module (run as a play runs it)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from ansible_collections.airflow_deploy.cluster.plugins.modules.host_info import parse_systemctl_show
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
    args = {"units": ["chrony.service", "ntpd.service", "firewalld.service"], "running_pattern": "airflow-*.service"}
    result = run_module("host_info", args, env=fake_systemctl)
    assert result["changed"] is False
    assert result["units"]["chrony.service"]["load_state"] == "loaded"
    assert result["units"]["ntpd.service"]["load_state"] == "not-found"
    assert result["running"] == ["airflow-api-server.service", "airflow-scheduler.service"]
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == ["show --property=LoadState,ActiveState,UnitFileState -- chrony.service ntpd.service firewalld.service",
                     "list-units --type=service --state=running --plain --no-legend -- airflow-*.service"]


def test_python_version_of_an_interpreter_and_a_missing_one(tmp_path: Path) -> None:
    present = run_module("host_info", {"python": sys.executable})
    assert present["python"] == {"path": sys.executable, "exists": True, "version": f"{sys.version_info[0]}.{sys.version_info[1]}"}
    missing = run_module("host_info", {"python": str(tmp_path / "nope" / "python")})
    assert missing["python"]["exists"] is False and missing["python"]["version"] is None
    not_python = tmp_path / "false"
    not_python.write_text("#!/bin/sh\nexit 3\n")
    not_python.chmod(0o755)
    broken = run_module("host_info", {"python": str(not_python)})
    assert broken["python"] == {"path": str(not_python), "exists": True, "version": None}
    not_a_program = tmp_path / "garbage"
    not_a_program.write_bytes(b"\x7fELF\x00not a program")
    not_a_program.chmod(0o755)
    unrunnable = run_module("host_info", {"python": str(not_a_program)})
    assert unrunnable["python"] == {"path": str(not_a_program), "exists": True, "version": None}


def test_env_hashes_hash_whole_lines_and_never_return_values(tmp_path: Path) -> None:
    env_file = tmp_path / "airflow.env"
    env_file.write_text("AIRFLOW__CORE__FERNET_KEY=secret-one\nAIRFLOW__API__SECRET_KEY=secret-two\n")
    args = {"env_file": str(env_file), "env_names": ["AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"]}
    result = run_module("host_info", args)
    assert result["env_hashes"] == {
        "AIRFLOW__CORE__FERNET_KEY": hashlib.sha256(b"AIRFLOW__CORE__FERNET_KEY=secret-one").hexdigest(),
        "AIRFLOW__API_AUTH__JWT_SECRET": hashlib.sha256(b"").hexdigest(),
    }
    assert "secret-one" not in str(result)


def test_env_hashes_are_null_without_the_file(tmp_path: Path) -> None:
    result = run_module("host_info", {"env_file": str(tmp_path / "absent.env"), "env_names": ["A"]})
    assert result["env_hashes"] is None


def test_options_left_out_are_not_asked() -> None:
    result = run_module("host_info", {})
    assert result == {"changed": False, "units": {}, "invocation": result["invocation"]}


def test_a_failing_systemctl_fails_the_module_naming_the_command(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "systemctl"
    script.write_text("#!/bin/sh\necho 'Failed to connect to bus' >&2\nexit 1\n")
    script.chmod(0o755)
    result = run_module("host_info", {"running_pattern": "airflow-*.service"}, env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert result["failed"] is True
    assert "list-units" in result["msg"] and "failed (rc 1): Failed to connect to bus" in result["msg"]


def test_memory_is_memtotal_in_mib_as_the_setup_module_counts_it(tmp_path: Path) -> None:
    from ansible_collections.airflow_deploy.cluster.plugins.modules.host_info import memtotal_mb

    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:        8009452 kB\nMemFree:         6512340 kB\n")
    assert memtotal_mb(str(meminfo)) == 7821
    meminfo.write_text("MemFree:         6512340 kB\n")
    assert memtotal_mb(str(meminfo)) is None
    result = run_module("host_info", {"memory": True})
    with open("/proc/meminfo", encoding="utf-8") as handle:
        expected = int(handle.readline().split()[1]) // 1024
    assert result["memtotal_mb"] == expected
