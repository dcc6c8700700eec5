# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: haproxy_server_status
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: A server's status in HAProxy's C(show stat), per load balancer
description:
  - Reads the C(status) column (for example C(UP), C(DOWN), C(DRAIN), C(MAINT), C(UP 1/3)) of one server of
    one backend in the C(show stat) answers of HAProxy's admin socket, one answer per load balancer.
  - The columns are found by the answer's header line (C(# pxname,svname,...)), not by position.
  - A load balancer whose answer has no such server (or no header) gives V(absent).
options:
  _input:
    description:
      - The registered results of a task that looped over the load balancers and read C(show stat) on each,
        each with C(item) (the load balancer) and C(stdout) (or C(stdout_lines)).
    type: list
    elements: dict
    required: true
  backend:
    description: The backend (C(pxname)).
    type: str
    required: true
  server:
    description: The server (C(svname)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the server states in HAProxy
  ansible.builtin.command:
    argv: [socat, stdio, "UNIX-CONNECT:/var/lib/haproxy/admin.sock"]
    stdin: show stat
  register: stat
  changed_when: false
  delegate_to: "{{ item }}"
  loop: "{{ groups['airflow_lb'] }}"

- name: Show the state of airflow1 on each load balancer
  ansible.builtin.debug:
    msg: "{{ stat.results | airflow_deploy.cluster.haproxy_server_status('airflow_api', 'airflow1') }}"
  # msg: {airflow-lb: UP}
"""

RETURN = r"""
_value:
  description: Load balancer to the server's status there, in the results' order.
  type: dict
  sample: {lb1: UP, lb2: DRAIN}
"""

import csv
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

ABSENT = "absent"


def _lines(result: Mapping[str, Any]) -> list[str]:
    if "stdout_lines" in result:
        return [str(line) for line in result["stdout_lines"]]
    return str(result.get("stdout") or "").splitlines()


def server_status(lines: Sequence[str], backend: str, server: str) -> str:
    """The status of backend/server in one `show stat` answer, or 'absent'."""
    header = next((line for line in lines if line.startswith("#")), None)
    if header is None:
        return ABSENT
    columns = [column.strip() for column in header.lstrip("#").split(",")]
    rows = csv.DictReader((line for line in lines if line.strip() and not line.startswith("#")), fieldnames=columns)
    for row in rows:
        if row.get("pxname") == backend and row.get("svname") == server:
            return row.get("status") or ABSENT
    return ABSENT


def haproxy_server_status(results: Sequence[Mapping[str, Any]], backend: str, server: str) -> dict[str, str]:
    """Return load balancer -> status of backend/server in its `show stat` answer."""
    if isinstance(results, (str, Mapping)) or not isinstance(results, Sequence):
        raise AnsibleFilterError("haproxy_server_status: the input must be the list of a looped task's results")
    return {str(result["item"]): server_status(_lines(result), str(backend), str(server)) for result in results}


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"haproxy_server_status": haproxy_server_status}
