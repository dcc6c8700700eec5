# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: tenant_prefix_conflicts
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: Tenant S3 prefixes that are empty, identical or nested
description:
  - Each tenant of the C(airflow_dag_sync) role owns the keys under C(<base prefix>/<tenant prefix>/) and is
    one DAG bundle. Two tenants whose prefixes are identical, or one nested in the other (C(team_a) and
    C(team_a/ml)), would publish one tenant's files in the other's bundle; so would an empty tenant prefix.
  - Prefixes are compared on C(/) boundaries, so C(team_a) and C(team_ab) do not conflict.
  - Returns one message per conflict, naming both tenants and their full prefixes; an empty list when
    every prefix is the tenant's own.
options:
  _input:
    description: Tenants, each a dict with C(name) and an optional C(prefix) (default the name).
    type: list
    elements: dict
    required: true
  base_prefix:
    description: The prefix under which every tenant prefix lives (C(airflow_dag_sync_prefix)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Refuse overlapping tenant prefixes
  ansible.builtin.assert:
    that: airflow_dag_sync_tenants | airflow_deploy.cluster.tenant_prefix_conflicts(airflow_dag_sync_prefix) | length == 0
"""

RETURN = r"""
_value:
  description: One message per conflict, in the tenants' order.
  type: list
  elements: str
"""

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

from ansible.errors import AnsibleFilterError


def _clean(prefix: str) -> str:
    return "/".join(part for part in prefix.split("/") if part)


def full_prefix(tenant: Mapping[str, Any], base_prefix: str) -> str:
    """The tenant's key prefix, ending in '/' ('' for the bucket root)."""
    own = tenant["prefix"] if tenant.get("prefix") is not None else tenant["name"]
    joined = _clean(f"{base_prefix}/{own}")
    return f"{joined}/" if joined else ""


def _empty(tenant: Mapping[str, Any]) -> bool:
    return tenant.get("prefix") is not None and not _clean(str(tenant["prefix"]))


def tenant_prefix_conflicts(tenants: Sequence[Mapping[str, Any]], base_prefix: str = "") -> list[str]:
    """Messages naming each tenant with an empty prefix and each pair of identical or nested prefixes."""
    if not isinstance(tenants, Sequence) or isinstance(tenants, str):
        raise AnsibleFilterError("tenant_prefix_conflicts: the input must be a list of tenants")
    base = str(base_prefix or "")
    messages = [f"{t['name']} has an empty prefix, so it would own every tenant's keys under '{full_prefix(t, base)}'"
                for t in tenants if _empty(t)]
    for first, second in combinations(tenants, 2):
        a, b = full_prefix(first, base), full_prefix(second, base)
        if a == b:
            messages.append(f"{first['name']} and {second['name']} share the prefix '{a}'")
        elif a.startswith(b) or b.startswith(a):
            messages.append(f"{first['name']} ('{a}') and {second['name']} ('{b}') have nested prefixes")
    return messages


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"tenant_prefix_conflicts": tenant_prefix_conflicts}
