# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: value_drift
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: Values that differ between hosts, named with the groups of hosts sharing each value
description:
  - Compares, for each name, the value every host has (for example a secret in the inventory, or the hash
    of a deployed secret) and returns one message per name whose value is not the same on every host.
  - Values are compared through their SHA-256, and never returned, so the messages may name secrets.
  - A host is left out of the comparison of a name it has no value for (for example a host that is
    not an Airflow node, or one with no deployed file yet).
options:
  _input:
    description: Host name -> mapping of name -> value (C(hostvars) works).
    type: dict
    required: true
  names:
    description: The names to compare.
    type: list
    elements: str
    required: true
  hosts:
    description: The hosts to compare, in the order their groups are listed; default every host of the input.
    type: list
    elements: str
  under:
    description:
      - Keys leading from each host's mapping to the mapping of names, for example
        C(['__airflow_probe', 'env_hashes']) for a registered result; a host without them, or where they
        lead to C(none), is left out.
    type: list
    elements: str
    default: []
  what:
    description: The words between the name and the groups in each message.
    type: str
    default: differs between hosts
"""

EXAMPLES = r"""
- name: The secrets are the same on every host
  ansible.builtin.assert:
    that: __drift | length == 0
    fail_msg: "{{ __drift | join('; ') }}"
  vars:
    __drift: "{{ hostvars | airflow_deploy.cluster.value_drift(['airflow_fernet_key'], ansible_play_hosts_all) }}"
"""

RETURN = r"""
_value:
  description:
    - "One message per name whose value differs, in the order of O(names), such as
      C(airflow_jwt_secret differs between hosts (groups of hosts sharing a value: node-a, node-c | node-b))."
    - The groups are in the order of their first host in O(hosts).
  type: list
  elements: str
"""

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError


def _digest(value: Any) -> str:
    return hashlib.sha256(str(value).encode("utf-8", "surrogateescape")).hexdigest()


def names_of(values: Mapping[str, Any], host: str, under: Sequence[str]) -> Mapping[str, Any] | None:
    """The mapping of names of a host (None when the host or one of the keys under it is missing)."""
    current: Any = values.get(host)
    for key in under:
        if not isinstance(current, Mapping) or key not in current:
            return None
        current = current[key]
    return current if isinstance(current, Mapping) else None


def host_groups(values: Mapping[str, Any], name: str, hosts: Sequence[str], under: Sequence[str] = ()) -> list[list[str]]:
    """The hosts that have name, grouped by its value, groups in the order of their first host."""
    groups: dict[str, list[str]] = {}
    for host in hosts:
        host_names = names_of(values, host, under)
        if host_names is None or name not in host_names:
            continue
        groups.setdefault(_digest(host_names[name]), []).append(host)
    return list(groups.values())


def value_drift(values: Mapping[str, Any], names: Sequence[str], hosts: Sequence[str] | None = None,
                under: Sequence[str] = (), what: str = "differs between hosts") -> list[str]:
    """One message per name whose value is not the same on every host."""
    if not isinstance(values, Mapping):
        raise AnsibleFilterError("value_drift: the input must map host names to their values")
    for label, value in (("names", names), ("under", under)):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise AnsibleFilterError(f"value_drift: {label} must be a list")
    order = list(values) if hosts is None else list(hosts)
    messages = []
    for name in names:
        groups = host_groups(values, name, order, under)
        if len(groups) > 1:
            shared = " | ".join(", ".join(group) for group in groups)
            messages.append(f"{name} {what} (groups of hosts sharing a value: {shared})")
    return messages


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"value_drift": value_drift}
