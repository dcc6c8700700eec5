#!/usr/bin/python
# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Read the health of a host's services (HTTP endpoints and a check command), optionally until healthy."""

from __future__ import annotations

DOCUMENTATION = r"""
module: health_info
short_description: Read the health of HTTP endpoints and a check command, optionally waiting until healthy
version_added: 0.1.0
description:
  - Sends a GET to each O(http) endpoint and runs O(command), in one module run. A health report asks
    once (O(wait=0)); a health gate sets O(wait), and the module asks again what is not healthy yet,
    every 2 seconds (the command every 5 seconds), until everything is or the time is up.
  - Changes nothing on the host; O(command) must be a read-only check. The module does not fail
    because a check is unhealthy; it returns RV(healthy) and the names in RV(unhealthy), for the
    play to judge (for example C(failed_when)).
options:
  http:
    description: The endpoints to ask; an endpoint is healthy when it answers HTTP 200 (and O(http[].json_value), when set).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the check in the result.
        type: str
        required: true
      url:
        description: URL to GET.
        type: str
        required: true
      json_path:
        description: Dotted path of a value in the JSON body that must equal O(http[].json_value).
        type: str
      json_value:
        description: The value at O(http[].json_path) of a healthy answer.
        type: str
  command:
    description: A read-only check command (argv, no shell), healthy when it exits 0.
    type: list
    elements: str
    default: []
  command_name:
    description: Name of the command's check in the result.
    type: str
    default: command
  validate_certs:
    description: Verify the TLS certificates of HTTPS endpoints.
    type: bool
    default: true
  timeout:
    description: Seconds each HTTP request may take.
    type: int
    default: 5
  wait:
    description: Seconds to keep asking until every check is healthy; V(0) asks once.
    type: int
    default: 0
  airflow_hostname:
    description:
      - Also return the name under which Airflow's default C(hostname_callable) (C(airflow.utils.net.getfqdn))
        records the jobs of this host, computed the same way, without loading Airflow.
      - Another host can then check this host's job heartbeats (C(airflow-jobs-check <type>@<hostname>)).
    type: bool
    default: false
extends_documentation_fragment:
  - airflow_deploy.cluster.info_module
author: airflow-deploy maintainers (@airflow-deploy)
"""

EXAMPLES = r"""
- name: Wait until the api-server answers and reaches its database
  airflow_deploy.cluster.health_info:
    http:
      - {name: api-server, url: "http://localhost:8080/api/v2/version"}
      - {name: metadatabase, url: "http://localhost:8080/api/v2/monitor/health",
         json_path: metadatabase.status, json_value: healthy}
    command: [/usr/local/bin/airflow-jobs-check, TriggererJob]
    wait: 120
  register: health
  failed_when: not health.healthy
"""

RETURN = r"""
healthy:
  description: Whether every check is healthy.
  returned: always
  type: bool
  sample: false
unhealthy:
  description: The names of the unhealthy checks, in the order given (the command last).
  returned: always
  type: list
  elements: str
  sample: [api-server]
http:
  description: Per endpoint, the last answer, with C(status) (-1 when none came), C(json) (the parsed body or null), C(healthy) and C(error).
  returned: always
  type: dict
  sample: {api-server: {status: 200, json: {version: 3.3.2}, healthy: true, error: null}}
command:
  description: The last run of O(command), with C(rc) (-1 when it could not start), C(stdout_lines), C(stderr) and C(healthy).
  returned: when O(command) is set
  type: dict
  sample: {rc: 0, stdout_lines: [TriggererJob alive], stderr: "", healthy: true}
msg:
  description: V(healthy), or each unhealthy check and why.
  returned: always
  type: str
  sample: "unhealthy: scheduler (HTTP 503: HTTP Error 503: Service Unavailable)"
airflow_hostname:
  description: The name Airflow's default C(hostname_callable) gives this host (see O(airflow_hostname)).
  returned: when O(airflow_hostname) is true
  type: str
  sample: airflow1.example.com
"""

import json
import socket
import time
from typing import Any
from urllib.error import HTTPError

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

ARGUMENT_SPEC: dict[str, Any] = {
    "http": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "name": {"type": "str", "required": True},
            "url": {"type": "str", "required": True},
            "json_path": {"type": "str"},
            "json_value": {"type": "str"},
        },
    },
    "command": {"type": "list", "elements": "str", "default": []},
    "command_name": {"type": "str", "default": "command"},
    "validate_certs": {"type": "bool", "default": True},
    "timeout": {"type": "int", "default": 5},
    "wait": {"type": "int", "default": 0},
    "airflow_hostname": {"type": "bool", "default": False},
}
HEALTHY_STATUS = 200
HTTP_INTERVAL = 2.0  # seconds between two asks of an unhealthy endpoint
COMMAND_INTERVAL = 5.0  # seconds between two runs of an unhealthy check command (it may load Airflow)


def parse_json(body: bytes) -> Any:
    """The JSON body, or None when it is not JSON."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def value_at(document: Any, path: str) -> Any:
    """The value at a dotted path of a JSON document, or None."""
    for key in path.split("."):
        if not isinstance(document, dict) or key not in document:
            return None
        document = document[key]
    return document


def judge(check: dict[str, Any], status: int, document: Any) -> bool:
    """Whether an answer is healthy: HTTP 200 and, when asked, the wanted JSON value."""
    if status != HEALTHY_STATUS:
        return False
    return not check.get("json_path") or str(value_at(document, check["json_path"])) == check["json_value"]


def get(url: str, timeout: int, validate_certs: bool) -> tuple[int, bytes, str | None]:
    """Status, body and error of a GET; status -1 when no answer came."""
    try:
        with open_url(url, timeout=timeout, validate_certs=validate_certs) as response:
            return response.status, response.read(), None
    except HTTPError as error:
        return error.code, error.read(), str(error)
    except Exception as error:  # noqa: BLE001 - any failure to get an answer means unhealthy
        return -1, b"", str(error)


def ask_http(check: dict[str, Any], timeout: int, validate_certs: bool) -> dict[str, Any]:
    """One ask of one endpoint."""
    status, body, error = get(check["url"], timeout, validate_certs)
    document = parse_json(body)
    return {"status": status, "json": document, "healthy": judge(check, status, document), "error": error}


def run_check(module: AnsibleModule, argv: list[str]) -> dict[str, Any]:
    """One run of the check command (argv as given, no shell); rc -1 when it cannot start."""
    try:
        rc, out, err = module.run_command(argv, expand_user_and_vars=False, handle_exceptions=False)
    except OSError as error:
        return {"rc": -1, "stdout_lines": [], "stderr": str(error), "healthy": False}
    return {"rc": rc, "stdout_lines": out.splitlines(), "stderr": err, "healthy": rc == 0}


class Checks:
    """The checks of one module run and their last results."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.http: dict[str, dict[str, Any]] = {}
        self.command: dict[str, Any] | None = None
        self.next_http = 0.0
        self.next_command = 0.0

    def pending_http(self) -> list[dict[str, Any]]:
        return [check for check in self.params["http"]
                if check["name"] not in self.http or not self.http[check["name"]]["healthy"]]

    def command_pending(self) -> bool:
        return bool(self.params["command"]) and (self.command is None or not self.command["healthy"])

    def ask(self, now: float) -> None:
        """One round: every unhealthy check that is due."""
        if now >= self.next_http:
            for check in self.pending_http():
                self.http[check["name"]] = ask_http(check, self.params["timeout"], self.params["validate_certs"])
            self.next_http = time.monotonic() + HTTP_INTERVAL
        if self.command_pending() and now >= self.next_command:
            self.command = run_check(self.module, self.params["command"])
            self.next_command = time.monotonic() + COMMAND_INTERVAL

    def unhealthy(self) -> list[str]:
        names = [check["name"] for check in self.pending_http()]
        return names + ([self.params["command_name"]] if self.command_pending() else [])

    def next_due(self) -> float:
        """When the next round has something to ask."""
        dues = [self.next_http] if self.pending_http() else []
        return min(dues + ([self.next_command] if self.command_pending() else []))


def describe(checks: Checks) -> str:
    """A message naming each unhealthy check and why."""
    parts = []
    for name in checks.unhealthy():
        if name in checks.http:
            answer = checks.http[name]
            parts.append(f"{name} (HTTP {answer['status']}{': ' + answer['error'] if answer['error'] else ''})")
        elif checks.command is not None:
            output = " ".join(checks.command["stdout_lines"] + checks.command["stderr"].splitlines()[-3:])
            parts.append(f"{name} (rc {checks.command['rc']}: {output})")
    return "unhealthy: " + ", ".join(parts) if parts else "healthy"


def airflow_hostname() -> str:
    """The host name as airflow.utils.net.getfqdn() gives it (Airflow's default hostname_callable).

    Not socket.getfqdn(): Airflow takes the canonical name of the first address getaddrinfo() returns
    for gethostname(), and the host name itself when there is none.
    """
    name = socket.gethostname()
    try:
        addresses = socket.getaddrinfo(name, None, 0, socket.SOCK_DGRAM, 0, socket.AI_CANONNAME)
    except OSError:
        return name
    return next((address[3] for address in addresses if address[3]), name)


def health_info(module: AnsibleModule) -> dict[str, Any]:
    """Ask until every check is healthy or the wait is over; the module result."""
    checks = Checks(module)
    deadline = time.monotonic() + module.params["wait"]
    checks.ask(time.monotonic())
    while checks.unhealthy() and time.monotonic() < deadline:
        time.sleep(max(0.0, min(checks.next_due(), deadline) - time.monotonic()))
        checks.ask(time.monotonic())
    unhealthy = checks.unhealthy()
    result: dict[str, Any] = {"changed": False, "healthy": not unhealthy, "unhealthy": unhealthy,
                              "http": checks.http, "msg": describe(checks)}
    if checks.command is not None:
        result["command"] = checks.command
    if module.params["airflow_hostname"]:
        result["airflow_hostname"] = airflow_hostname()
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(**health_info(module))


if __name__ == "__main__":
    main()
