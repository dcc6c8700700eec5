#!/usr/bin/python
# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Read what a preflight needs to know about a host, in one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: Read the state a preflight checks on a host, in one read-only module run
version_added: 0.1.0
description:
  - Answers, in one module run, the questions the preflight of a role asks a host before it
    changes anything. Each option asks one question; options left out are not asked.
  - Changes nothing. On a re-run this costs one remote execution where M(ansible.builtin.stat),
    M(ansible.builtin.command), M(ansible.builtin.service_facts), M(ansible.builtin.slurp) and
    M(ansible.builtin.wait_for) would cost one each.
  - The module never fails on what it finds (a missing file, an unknown unit, a closed port); the
    role's asserts judge the answers and name the variable to fix.
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
  read:
    description: Small text files (not secrets) whose contents are returned.
    type: list
    elements: path
    default: []
  stat:
    description:
      - Paths whose type, owner, group and mode are returned, with the SHA-1 of a regular file's content
        (as M(airflow_deploy.cluster.files) returns it). The content itself is not returned, so secrets may be
        among them.
      - M(airflow_deploy.cluster.files) takes this answer as O(airflow_deploy.cluster.files#module:found) and
        skips its remote run when every entry is already as wanted.
    type: list
    elements: path
    default: []
  packages:
    description: OS packages; whether each is installed, and its version, from the package database.
    type: dict
    suboptions:
      manager:
        description: The package database to ask (C(dpkg-query) or C(rpm)).
        type: str
        choices: [dpkg, rpm]
        required: true
      names:
        description: Package names (not capabilities or virtual packages).
        type: list
        elements: str
        required: true
  users:
    description: Local users whose account entries are read.
    type: list
    elements: str
    default: []
  groups:
    description: Local groups whose entries are read.
    type: list
    elements: str
    default: []
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
  tcp:
    description: A TCP server to reach; the module retries for up to O(tcp.timeout) seconds.
    type: dict
    suboptions:
      host:
        description: Host name or address.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        required: true
      timeout:
        description: Seconds to keep trying.
        type: int
        default: 10
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author: airflow-deploy maintainers
"""

EXAMPLES = r"""
- name: Probe the host
  airflow_deploy.cluster.host_info:
    python: /opt/airflow/venv/bin/python
    units: [chrony.service, firewalld.service]
    running_pattern: airflow-*.service
    users: [airflow]
    groups: [airflow]
    env_file: /etc/airflow/airflow.env
    env_names: [AIRFLOW__CORE__FERNET_KEY]
    tcp: {host: db.example.com, port: 5432, timeout: 10}
  register: probe
  no_log: true  # the hashes of secrets stay out of the output
"""

RETURN = r"""
python:
  description: The interpreter of O(python).
  returned: when O(python) is set
  type: dict
  sample: {path: /opt/airflow/venv/bin/python, exists: true, version: "3.11"}
units:
  description: Per unit of O(units), its C(LoadState) (V(not-found) for an unknown unit), C(ActiveState) and C(UnitFileState).
  returned: always
  type: dict
  sample: {chrony.service: {load_state: loaded, active_state: active, unit_file_state: enabled}}
running:
  description: The running services that match O(running_pattern), sorted.
  returned: when O(running_pattern) is set
  type: list
  elements: str
  sample: [airflow-api-server.service, airflow-scheduler.service]
contents:
  description: Per file of O(read), its content; null when it does not exist.
  returned: always
  type: dict
  sample: {/opt/airflow/.airflow-deploy-install.json: '{"requirements": ["apache-airflow==3.3.2"]}'}
stats:
  description:
    - Per path of O(stat), its C(type) (V(file), V(directory), V(link) or V(other)), C(owner), C(group),
      C(mode) (octal string) and, for a regular file, C(sha1); null when it does not exist.
    - Owner and group are names, or numbers when the host has no name for them.
  returned: always
  type: dict
  sample: {/etc/airflow/airflow.cfg: {type: file, owner: root, group: airflow, mode: "0640", sha1: 3c3b0c6e...}}
packages:
  description: Per package of O(packages.names), whether it is installed.
  returned: when O(packages) is set
  type: dict
  sample: {haproxy: true, socat: false}
package_versions:
  description:
    - Per package of O(packages.names), the installed version as the package database gives it
      (C([epoch:]version-release)); null when it is not installed. The first one when several are.
  returned: when O(packages) is set
  type: dict
  sample: {haproxy: "2.6.12-1+deb12u1", socat: null}
users:
  description: Per user of O(users), its C(uid), C(gid), C(home), C(shell) and C(comment); null when there is no such user.
  returned: always
  type: dict
  sample: {airflow: {uid: 999, gid: 999, home: /var/lib/airflow, shell: /usr/sbin/nologin, comment: Apache Airflow}}
groups:
  description: Per group of O(groups), its C(gid); null when there is no such group.
  returned: always
  type: dict
  sample: {airflow: {gid: 999}}
env_hashes:
  description: SHA-256 of each O(env_names) line of O(env_file); null when the file does not exist.
  returned: when O(env_file) is set
  type: dict
  sample: {AIRFLOW__CORE__FERNET_KEY: 5e8f...}
tcp:
  description: Whether the server of O(tcp) accepted a connection, and the last error when it did not.
  returned: when O(tcp) is set
  type: dict
  sample: {reachable: false, error: "[Errno 111] Connection refused"}
"""

import grp
import hashlib
import os
import pwd
import re
import socket
import stat
import subprocess
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC: dict[str, Any] = {
    "python": {"type": "path"},
    "units": {"type": "list", "elements": "str", "default": []},
    "running_pattern": {"type": "str"},
    "read": {"type": "list", "elements": "path", "default": []},
    "stat": {"type": "list", "elements": "path", "default": []},
    "packages": {
        "type": "dict",
        "options": {
            "manager": {"type": "str", "choices": ["dpkg", "rpm"], "required": True},
            "names": {"type": "list", "elements": "str", "required": True},
        },
    },
    "users": {"type": "list", "elements": "str", "default": []},
    "groups": {"type": "list", "elements": "str", "default": []},
    "env_file": {"type": "path"},
    "env_names": {"type": "list", "elements": "str", "default": []},
    "tcp": {
        "type": "dict",
        "options": {
            "host": {"type": "str", "required": True},
            "port": {"type": "int", "required": True},
            "timeout": {"type": "int", "default": 10},
        },
    },
}
UNIT_PROPERTIES = {"LoadState": "load_state", "ActiveState": "active_state", "UnitFileState": "unit_file_state"}
VERSION_CODE = 'import sys; print("%d.%d" % sys.version_info[:2])'


def probe_python(path: str) -> dict[str, Any]:
    """Whether the interpreter exists, and its major.minor version (None when it cannot run)."""
    if not os.access(path, os.X_OK):
        return {"path": path, "exists": os.path.exists(path), "version": None}
    proc = subprocess.run([path, "-c", VERSION_CODE], capture_output=True, text=True, check=False)
    return {"path": path, "exists": True, "version": proc.stdout.strip() if proc.returncode == 0 else None}


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


def query(module: AnsibleModule, program: str, args: list[str], max_rc: int = 0) -> str:
    """The output of a read-only command; an exit status above max_rc fails the module, naming the command."""
    argv = [module.get_bin_path(program, required=True), *args]
    rc, out, err = module.run_command(argv)
    if rc > max_rc:
        module.fail_json(msg=f"{' '.join(argv)} failed (rc {rc}): {err.strip()}")
    return out


def probe_units(module: AnsibleModule, units: list[str]) -> dict[str, dict[str, str]]:
    """LoadState, ActiveState and UnitFileState of every unit, in one systemctl call."""
    if not units:
        return {}
    out = query(module, "systemctl", ["show", "--property=" + ",".join(UNIT_PROPERTIES), "--", *units])
    return parse_systemctl_show(out, units)


def probe_running(module: AnsibleModule, pattern: str) -> list[str]:
    """The running services whose names match the glob."""
    out = query(module, "systemctl",
                ["list-units", "--type=service", "--state=running", "--plain", "--no-legend", "--", pattern])
    return sorted(line.split()[0] for line in out.splitlines() if line.strip())


# dpkg-query exits 1 when it knows a package not at all and prints a status other than "installed"
# for one removed; rpm prints "<name> installed <version>" for each installed package and exits with
# the number of packages missing. A higher exit status is a failure of the query itself. Both print
# the version as [epoch:]version-release (rpm's epoch only when the package has one).
PACKAGE_QUERIES = {
    "dpkg": ["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status} ${Version}\n"],
    "rpm": ["rpm", "--query", "--queryformat=%{NAME} installed %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n"],
}


def parse_package_query(output: str) -> dict[str, str | None]:
    """The version of each installed package, from '<name> installed <version>' lines (the first line of a name).

    Other lines are packages not installed; an installed one without a version maps to None.
    """
    versions: dict[str, str | None] = {}
    for fields in map(str.split, output.splitlines()):
        if len(fields) in (2, 3) and fields[1] == "installed":
            versions.setdefault(fields[0], fields[2] if len(fields) == 3 else None)
    return versions


def probe_packages(module: AnsibleModule, manager: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """Whether each package is installed, and its version, in one query of the package database."""
    program, *args = PACKAGE_QUERIES[manager]
    out = query(module, program, [*args, *names], max_rc=1 if manager == "dpkg" else len(names))
    installed = parse_package_query(out)
    return {"packages": {name: name in installed for name in names},
            "package_versions": {name: installed.get(name) for name in names}}


def probe_user(name: str) -> dict[str, Any] | None:
    """The account entry of a user, or None."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return {"uid": entry.pw_uid, "gid": entry.pw_gid, "home": entry.pw_dir, "shell": entry.pw_shell,
            "comment": entry.pw_gecos}


def probe_group(name: str) -> dict[str, Any] | None:
    """The entry of a group, or None."""
    try:
        return {"gid": grp.getgrnam(name).gr_gid}
    except KeyError:
        return None


def read_text(path: str) -> str | None:
    """The content of a text file, or None when it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def name_of(number: int, lookup: Any) -> str:
    """The user or group name of a number, or the number itself when the host has no name for it."""
    try:
        return str(lookup(number)[0])
    except KeyError:
        return str(number)


def sha1_of(path: str) -> str:
    """SHA-1 of a file's content, read in blocks."""
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def stat_path(path: str) -> dict[str, Any] | None:
    """Type, owner, group and mode of a path (not following a final link), and a file's SHA-1; None when absent."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    kind = ("link" if stat.S_ISLNK(info.st_mode) else "directory" if stat.S_ISDIR(info.st_mode)
            else "file" if stat.S_ISREG(info.st_mode) else "other")
    result: dict[str, Any] = {"type": kind, "owner": name_of(info.st_uid, pwd.getpwuid),
                              "group": name_of(info.st_gid, grp.getgrgid), "mode": f"{stat.S_IMODE(info.st_mode):04o}"}
    if kind == "file":
        result["sha1"] = sha1_of(path)
    return result


def env_hashes(path: str, names: list[str]) -> dict[str, str] | None:
    """SHA-256 of each NAME=value line of the file (of '' for a missing name); None without the file."""
    text = read_text(path)
    if text is None:
        return None
    lines = text.splitlines()
    hashes: dict[str, str] = {}
    for name in names:
        line = next((text for text in lines if text.startswith(name + "=")), "")
        hashes[name] = hashlib.sha256(line.encode("utf-8")).hexdigest()
    return hashes


def reach_tcp(host: str, port: int, timeout: int) -> dict[str, Any]:
    """Try to connect once a second until the server accepts or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            with socket.create_connection((host, port), timeout=max(1.0, min(remaining, 5.0))):
                return {"reachable": True, "error": None}
        except OSError as error:
            if time.monotonic() + 1 >= deadline:
                return {"reachable": False, "error": str(error)}
        time.sleep(1)


def probe(module: AnsibleModule) -> dict[str, Any]:
    """Every answer asked for; the module result."""
    params = module.params
    result: dict[str, Any] = {"changed": False, "units": probe_units(module, params["units"]),
                              "users": {name: probe_user(name) for name in params["users"]},
                              "groups": {name: probe_group(name) for name in params["groups"]},
                              "contents": {path: read_text(path) for path in params["read"]},
                              "stats": {path: stat_path(path) for path in params["stat"]}}
    if params["running_pattern"]:
        result["running"] = probe_running(module, params["running_pattern"])
    if params["packages"]:
        result.update(probe_packages(module, params["packages"]["manager"], params["packages"]["names"]))
    if params["python"]:
        result["python"] = probe_python(params["python"])
    if params["env_file"]:
        result["env_hashes"] = env_hashes(params["env_file"], params["env_names"])
    if params["tcp"]:
        tcp = params["tcp"]
        result["tcp"] = reach_tcp(tcp["host"], tcp["port"], tcp["timeout"])
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(**probe(module))


if __name__ == "__main__":
    main()
