# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: dag_sync_tenant_args
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The DAG sync engine's command-line arguments of each tenant
description:
  - Turns the tenant list of the C(airflow_dag_sync) role into the arguments of the sync engine's command line
    that select each tenant - C(--tenant <name>=<prefix>) (the prefix defaults to the name), then
    C(--marker), C(--max-objects) and C(--max-bytes) when the tenant sets them.
  - The init container of the KubernetesExecutor's task pods runs the engine with every tenant's arguments;
    its C(pod_mutation_hook) narrows them to the task's tenant.
options:
  _input:
    description: Tenants, each a dict with C(name) and optional C(prefix), C(marker), C(max_objects), C(max_bytes).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the arguments of two tenants
  ansible.builtin.debug:
    msg: "{{ [{'name': 'team_a'}, {'name': 'team_b', 'prefix': 'b', 'marker': '_PUBLISHED'}] | airflow_deploy.cluster.dag_sync_tenant_args }}"
  # {"team_a": ["--tenant", "team_a=team_a"], "team_b": ["--tenant", "team_b=b", "--marker", "_PUBLISHED"]}
"""

RETURN = r"""
_value:
  description: Tenant name -> its arguments, in the tenants' order.
  type: dict
"""

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

LIMITS = (("max_objects", "--max-objects"), ("max_bytes", "--max-bytes"))


def tenant_args(tenant: Mapping[str, Any]) -> list[str]:
    """The arguments selecting one tenant."""
    name = str(tenant["name"])
    args = ["--tenant", f"{name}={tenant.get('prefix') or name}"]
    if tenant.get("marker"):
        args += ["--marker", str(tenant["marker"])]
    for key, flag in LIMITS:
        if tenant.get(key) is not None:
            args += [flag, str(tenant[key])]
    return args


def dag_sync_tenant_args(tenants: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Tenant name -> the engine's arguments for that tenant alone."""
    if not isinstance(tenants, Sequence) or isinstance(tenants, str):
        raise AnsibleFilterError("dag_sync_tenant_args: the input must be a list of tenants")
    if not all(isinstance(tenant, Mapping) and tenant.get("name") for tenant in tenants):
        raise AnsibleFilterError("dag_sync_tenant_args: every tenant must be a dict with a name")
    return {str(tenant["name"]): tenant_args(tenant) for tenant in tenants}


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"dag_sync_tenant_args": dag_sync_tenant_args}
