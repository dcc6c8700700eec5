# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: dag_sync_unsynced
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The tenants whose last DAG sync failed, each with its last error
description:
  - Reads the status files of the C(airflow_dag_sync) engine as a looped C(ansible.builtin.slurp) registered them
    (the loop item being the tenant's name) and names every tenant that has not synced, with its last error.
  - A tenant whose status file could not be read has not synced yet (C(no status file yet)); one whose status
    says C(ok) false without an error text says C(no error recorded); one whose status says C(ok) true is left out.
options:
  _input:
    description: The C(results) of a C(ansible.builtin.slurp) looped over tenant names.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the status of the tenants
  ansible.builtin.slurp:
    src: /var/lib/airflow/dags/.status/{{ item }}.json
  loop: [team_a, team_b]
  register: status
  failed_when: false

- name: Name the tenants that have not synced
  ansible.builtin.debug:
    msg: "{{ status.results | airflow_deploy.cluster.dag_sync_unsynced | join('; ') }}"
"""

RETURN = r"""
_value:
  description: One C(tenant (last error)) per tenant that has not synced, in the loop's order.
  type: list
  elements: str
"""

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

NO_STATUS = "no status file yet"
NO_ERROR = "no error recorded"


def tenant_status(result: Mapping[str, Any]) -> dict[str, Any]:
    """The status file of one slurp result; a not-synced status when it could not be read or parsed."""
    content = result.get("content")
    if result.get("failed") or not isinstance(content, str):
        return {"ok": False, "last_error": NO_STATUS}
    try:
        status = json.loads(base64.b64decode(content))
    except (binascii.Error, ValueError) as exc:
        return {"ok": False, "last_error": f"unreadable status file ({exc})"}
    return status if isinstance(status, dict) else {"ok": False, "last_error": "unreadable status file"}


def dag_sync_unsynced(results: Sequence[Mapping[str, Any]]) -> list[str]:
    """'tenant (last error)' for each tenant whose status is not ok."""
    if not isinstance(results, Sequence) or isinstance(results, str):
        raise AnsibleFilterError("dag_sync_unsynced: the input must be the results of a looped slurp")
    unsynced = []
    for result in results:
        if result.get("skipped"):
            continue
        status = tenant_status(result)
        if status.get("ok") is not True:
            unsynced.append(f"{result['item']} ({status.get('last_error') or NO_ERROR})")
    return unsynced


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"dag_sync_unsynced": dag_sync_unsynced}
