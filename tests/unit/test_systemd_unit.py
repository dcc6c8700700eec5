"""Unit tests of the airflow_deploy.cluster.systemd_unit module (run as a play runs it).

A fake systemctl on PATH keeps the unit's state in files and records every call.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from module_runner import run_module

UNIT = "[Unit]\nDescription=test\n\n[Service]\nExecStart=/bin/true\n"
FAKE_SYSTEMCTL = """#!/bin/sh
state={state}
echo "$*" >> $state/calls
case "$1" in
  is-enabled) test -e $state/enabled && {{ echo enabled; exit 0; }}; echo disabled; exit 1 ;;
  is-active) test -e $state/active ;;
  enable) touch $state/enabled ;;
  start) touch $state/active ;;
  daemon-reload) ;;
  *) exit 9 ;;
esac
"""


class Host:
    """A unit directory and a fake systemctl whose state lives under tmp_path."""

    def __init__(self, tmp_path: Path) -> None:
        self.state = tmp_path / "state"
        self.units = tmp_path / "units"
        for directory in (self.state, self.units, tmp_path / "bin"):
            directory.mkdir()
        systemctl = tmp_path / "bin" / "systemctl"
        systemctl.write_text(FAKE_SYSTEMCTL.format(state=self.state))
        systemctl.chmod(0o755)
        self.env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}

    def run(self, content: str = UNIT, **extra: Any) -> dict[str, Any]:
        calls = self.state / "calls"
        calls.unlink(missing_ok=True)
        args = {"name": "test.service", "content": content, "directory": str(self.units), **extra}
        result = run_module("systemd_unit", args, env=self.env)
        result["calls"] = calls.read_text().splitlines() if calls.exists() else []
        return result


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(tmp_path)


def test_a_new_unit_is_written_reloaded_enabled_and_started(host: Host) -> None:
    result = host.run()
    assert (result["changed"], result["file_changed"], result["enabled_now"], result["started"]) == (True,) * 4
    assert result["calls"] == ["daemon-reload", "is-enabled test.service", "enable test.service",
                               "is-active --quiet test.service", "start test.service"]
    unit_file = host.units / "test.service"
    assert unit_file.read_text() == UNIT
    assert f"{stat.S_IMODE(unit_file.stat().st_mode):04o}" == "0644"


def test_a_second_run_only_asks(host: Host) -> None:
    host.run()
    result = host.run()
    assert (result["changed"], result["file_changed"], result["enabled_now"], result["started"]) == (False,) * 4
    assert result["calls"] == ["is-enabled test.service", "is-active --quiet test.service"]


def test_a_changed_file_of_a_running_unit_is_reloaded_not_restarted(host: Host) -> None:
    host.run()
    result = host.run(UNIT + "Restart=always\n", _ansible_diff=True)
    assert (result["changed"], result["file_changed"], result["started"]) == (True, True, False)
    assert "daemon-reload" in result["calls"]
    assert not any(call.startswith(("start", "restart")) for call in result["calls"])
    assert result["diff"]["before"] == UNIT and result["diff"]["after"] == UNIT + "Restart=always\n"


def test_a_stopped_unit_is_started(host: Host) -> None:
    host.run()
    (host.state / "active").unlink()
    result = host.run()
    assert (result["changed"], result["file_changed"], result["started"]) == (True, False, True)
    assert result["calls"][-1] == "start test.service"


def test_check_mode_reports_without_acting(host: Host) -> None:
    result = host.run(_ansible_check_mode=True)
    assert (result["changed"], result["file_changed"], result["enabled_now"], result["started"]) == (True,) * 4
    assert not (host.units / "test.service").exists()
    assert result["calls"] == ["is-enabled test.service", "is-active --quiet test.service"]


def test_enabled_and_started_false_leave_the_unit_as_it_is(host: Host) -> None:
    result = host.run(enabled=False, started=False)
    assert (result["file_changed"], result["enabled_now"], result["started"]) == (True, False, False)
    assert result["calls"] == ["daemon-reload"]


def test_a_failing_systemctl_names_the_command(host: Host, tmp_path: Path) -> None:
    (tmp_path / "bin" / "systemctl").write_text("#!/bin/sh\necho 'Unit test.service is masked.' >&2\nexit 1\n")
    result = host.run()
    assert result["failed"] is True
    assert "daemon-reload failed (rc 1): Unit test.service is masked." in result["msg"]


def test_a_mode_change_alone_is_a_change_without_a_content_diff(host: Host) -> None:
    host.run()
    (host.units / "test.service").chmod(0o600)
    result = host.run(_ansible_diff=True)
    assert (result["changed"], result["file_changed"]) == (True, True)
    assert "diff" not in result
    assert f"{stat.S_IMODE((host.units / 'test.service').stat().st_mode):04o}" == "0644"
