#!/usr/bin/python
# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Read what the airflow role needs to know about a host, in one read-only module run."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: Read an Airflow host's interpreter, unit states, running units, secret hashes and memory
version_added: 0.1.0
description:
  - Answers, in one module run, the questions the C(airflow) role asks a host before it changes
    anything, and which Airflow units run on it before a restart or a stop. Each option asks one
    question; options left out are not asked.
  - Changes nothing on the host. It never fails on what it finds (a missing interpreter, an unknown
    unit, a missing file); the role's asserts judge the answers and name the variable to fix.
options:
  python:
    description: A Python interpreter; whether it exists and its C(major.minor) version.
    type: path
  units:
    description: systemd units whose load, active and unit-file states are read.
    type: list
    elements: str
    default: []
  running_pattern:
    description: A glob of systemd service names; the names of the running services it matches are returned.
    type: str
  env_file:
    description: An environment file (C(NAME=value) lines) whose values are compared between hosts.
    type: path
  env_names:
    description:
      - Names in O(env_file); the SHA-256 of each C(NAME=value) line is returned, never the value.
      - The hash of an empty string stands for a name the file does not have.
    type: list
    elements: str
    default: []
  memory:
    description:
      - Whether to read the host's memory (C(MemTotal) of C(/proc/meminfo)), without gathering the hardware
        facts (mounts, devices) that C(ansible_facts['memtotal_mb']) comes with.
    type: bool
    default: false
    version_added: 0.1.0
extends_documentation_fragment:
  - airflow_deploy.cluster.info_module
author: airflow-deploy maintainers (@airflow-deploy)
"""

EXAMPLES = r"""
- name: Read the interpreter, the time sync, the running units and the hashes of the deployed secrets
  airflow_deploy.cluster.host_info:
    python: /opt/airflow/venv/bin/python
    units: [chrony.service]
    running_pattern: airflow-*.service
    env_file: /etc/airflow/airflow.env
    env_names: [AIRFLOW__CORE__FERNET_KEY]
    memory: true
  register: host
  no_log: true  # the hashes of secrets stay out of the output
"""

RETURN = r"""
python:
  description: The interpreter of O(python); C(version) is null when it does not run as Python.
  returned: when O(python) is set
  type: dict
  sample: {path: /opt/airflow/venv/bin/python, exists: true, version: "3.11"}
units:
  description:
    - Per unit of O(units), its C(load_state) (V(not-found) for an unknown unit), C(active_state) and
      C(unit_file_state), as C(systemctl show) gives them.
  returned: always
  type: dict
  sample: {chrony.service: {load_state: loaded, active_state: active, unit_file_state: enabled}}
running:
  description: The running services that match O(running_pattern), sorted.
  returned: when O(running_pattern) is set
  type: list
  elements: str
  sample: [airflow-api-server.service, airflow-scheduler.service]
env_hashes:
  description: SHA-256 of each O(env_names) line of O(env_file); null when the file does not exist.
  returned: when O(env_file) is set
  type: dict
  sample: {AIRFLOW__CORE__FERNET_KEY: 5e8f...}
memtotal_mb:
  description:
    - The host's memory in MiB, as C(ansible_facts['memtotal_mb']) gives it (C(MemTotal) // 1024); null when
      C(/proc/meminfo) has no C(MemTotal).
  returned: when O(memory) is true
  type: int
  sample: 7821
  version_added: 0.1.0
"""

import hashlib
import os
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC: dict[str, Any] = {
    "python": {"type": "path"},
    "units": {"type": "list", "elements": "str", "default": []},
    "running_pattern": {"type": "str"},
    "env_file": {"type": "path"},
    "env_names": {"type": "list", "elements": "str", "default": []},
    "memory": {"type": "bool", "default": False},
}
MEMINFO = "/proc/meminfo"
UNIT_PROPERTIES = {"LoadState": "load_state", "ActiveState": "active_state", "UnitFileState": "unit_file_state"}
VERSION_CODE = 'import sys; print("%d.%d" % sys.version_info[:2])'


def python_info(module: AnsibleModule, path: str) -> dict[str, Any]:
    """Whether the interpreter exists, and its major.minor version (None when it does not run as Python)."""
    if not os.access(path, os.X_OK):
        return {"path": path, "exists": os.path.exists(path), "version": None}
    try:
        rc, out, _err = module.run_command([path, "-c", VERSION_CODE], expand_user_and_vars=False,
                                           handle_exceptions=False)
    except OSError:  # executable, but not a program the kernel can run
        return {"path": path, "exists": True, "version": None}
    return {"path": path, "exists": True, "version": out.strip() if rc == 0 else None}


def parse_systemctl_show(output: str, units: list[str]) -> dict[str, dict[str, str]]:
    """The states of each unit from `systemctl show --property=...` of those units, in order.

    systemctl prints one block of KEY=value lines per unit asked, blocks separated by an empty
    line, in the order of the arguments.
    """
    blocks = [block for block in re.split(r"\n\s*\n", output.strip()) if block.strip()] if output.strip() else []
    states: dict[str, dict[str, str]] = {}
    for unit, block in zip(units, blocks):
        values = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        states[unit] = {name: values.get(key, "") for key, name in UNIT_PROPERTIES.items()}
    for unit in units[len(blocks):]:
        states[unit] = {name: "" for name in UNIT_PROPERTIES.values()}
    return states


def systemctl(module: AnsibleModule, args: list[str]) -> str:
    """The output of a read-only systemctl command; a failure fails the module, naming the command."""
    argv = [module.get_bin_path("systemctl", required=True), *args]
    rc, out, err = module.run_command(argv, expand_user_and_vars=False)
    if rc != 0:
        module.fail_json(msg=f"{' '.join(argv)} failed (rc {rc}): {err.strip()}")
    return out


def unit_states(module: AnsibleModule, units: list[str]) -> dict[str, dict[str, str]]:
    """LoadState, ActiveState and UnitFileState of every unit, in one systemctl call."""
    if not units:
        return {}
    out = systemctl(module, ["show", "--property=" + ",".join(UNIT_PROPERTIES), "--", *units])
    return parse_systemctl_show(out, units)


def running_units(module: AnsibleModule, pattern: str) -> list[str]:
    """The running services whose names match the glob."""
    out = systemctl(module, ["list-units", "--type=service", "--state=running", "--plain", "--no-legend", "--", pattern])
    return sorted(line.split()[0] for line in out.splitlines() if line.strip())


def env_line(lines: list[str], name: str) -> str:
    """The first NAME=value line of a name, or '' when there is none."""
    return next((line for line in lines if line.startswith(name + "=")), "")


def env_hashes(path: str, names: list[str]) -> dict[str, str] | None:
    """SHA-256 of each NAME=value line of the file (of '' for a missing name); None without the file."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return None
    return {name: hashlib.sha256(env_line(lines, name).encode("utf-8")).hexdigest() for name in names}


def memtotal_mb(path: str = MEMINFO) -> int | None:
    """MemTotal of a meminfo file in MiB (kB // 1024, as the setup module counts it); None without it."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"MemTotal:\s+(\d+)\s+kB", line)
            if match:
                return int(match.group(1)) // 1024
    return None


def host_info(module: AnsibleModule) -> dict[str, Any]:
    """Every answer asked for; the module result."""
    params = module.params
    result: dict[str, Any] = {"changed": False, "units": unit_states(module, params["units"])}
    if params["running_pattern"]:
        result["running"] = running_units(module, params["running_pattern"])
    if params["python"]:
        result["python"] = python_info(module, params["python"])
    if params["env_file"]:
        result["env_hashes"] = env_hashes(params["env_file"], params["env_names"])
    if params["memory"]:
        result["memtotal_mb"] = memtotal_mb()
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(**host_info(module))


if __name__ == "__main__":
    main()
