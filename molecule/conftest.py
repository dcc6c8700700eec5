"""Shared testinfra helpers for every molecule scenario (pytest finds this conftest above each
scenario's tests/ directory)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def journal(host: Any, unit: str, lines: int = 80) -> str:
    """Return the last journal lines of a unit, for failure messages."""
    return host.run(f"journalctl -u {unit} -n {lines} --no-pager").stdout


def assert_service_running(host: Any, unit: str) -> None:
    """Assert the unit is enabled and active; on failure show its status and journal."""
    service = host.service(unit)
    if not (service.is_running and service.is_enabled):
        status = host.run(f"systemctl status {unit} --no-pager").stdout
        pytest.fail(f"{unit} is not running and enabled\n{status}\n--- journal ---\n{journal(host, unit)}")


def run_json(host: Any, command: str) -> Any:
    """Run a command on the host, fail with its output unless it succeeds, and parse its JSON."""
    result = host.run(command)
    assert result.rc == 0, f"{command} failed ({result.rc}):\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def ansible_playbook(playbook: str, *args: str, inventory: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ansible-playbook against an inventory, by default the scenario's (as the verifier sees it)."""
    inventory = inventory or str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent)
    command = ["ansible-playbook", "-i", inventory, str(REPO / playbook), *args]
    env = os.environ | {"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1", "PY_COLORS": "0"}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, env=env)


RECAP_LINE = re.compile(r"^(\S+)\s*:\s*(ok=\d+.*)$")


def recap(output: str) -> dict[str, dict[str, int]]:
    """Parse the PLAY RECAP lines of ansible-playbook output: host -> counter -> value."""
    hosts: dict[str, dict[str, int]] = {}
    for line in output.splitlines():
        match = RECAP_LINE.match(line.strip())
        if match:
            counters = (item.split("=", 1) for item in match.group(2).split())
            hosts[match.group(1)] = {key: int(value) for key, value in counters}
    assert hosts, "no PLAY RECAP in the output"
    return hosts
