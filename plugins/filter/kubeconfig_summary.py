# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: kubeconfig_summary
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The names in a kubeconfig, without any credential
description:
  - Reads the content of a kubeconfig (C(airflow_kubernetes_executor_kubeconfig)) and returns only what a
    check may show about it - whether it is YAML and a mapping, the names of its clusters, contexts and users,
    and its C(current-context). Tokens, certificates, keys and server addresses are never returned.
  - Never raises on bad content, so a check can name the problem; text that is not YAML gives C(yaml=false).
options:
  _input:
    description: The kubeconfig, as text (or already parsed into a mapping); empty or null is no kubeconfig.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the kubeconfig has the context to use (its content is never shown)
  ansible.builtin.assert:
    that: airflow_kubernetes_executor_cluster_context in (airflow_kubernetes_executor_kubeconfig
          | airflow_deploy.cluster.kubeconfig_summary)['contexts']
"""

RETURN = r"""
_value:
  description: What the kubeconfig names.
  type: dict
  contains:
    yaml:
      description: Whether the content parses as YAML (true for empty content).
      type: bool
    mapping:
      description: Whether it is a mapping, as a kubeconfig is.
      type: bool
    clusters:
      description: Names of its clusters, in order (C('') for an entry without a name).
      type: list
      elements: str
    contexts:
      description: Names of its contexts, in order.
      type: list
      elements: str
    users:
      description: Names of its users, in order.
      type: list
      elements: str
    current:
      description: Its C(current-context), C('') when unset.
      type: str
"""

from collections.abc import Mapping
from typing import Any

import yaml

SECTIONS = ("clusters", "contexts", "users")


def _names(entries: Any) -> list[str]:
    """The name of each entry of a kubeconfig section ('' for an entry without one)."""
    if not isinstance(entries, list):
        return []
    return [str(entry.get("name") or "") if isinstance(entry, Mapping) else "" for entry in entries]


def kubeconfig_summary(content: Any) -> dict[str, Any]:
    """Names of the clusters, contexts and users of a kubeconfig and its current context, nothing secret."""
    summary: dict[str, Any] = {"yaml": True, "mapping": False, "current": ""}
    summary.update({section: [] for section in SECTIONS})
    if isinstance(content, Mapping):
        data: Any = content
    else:
        try:
            data = yaml.safe_load(str(content)) if content else None
        except yaml.YAMLError:
            summary["yaml"] = False
            return summary
    if not isinstance(data, Mapping):
        return summary
    summary["mapping"] = True
    summary.update({section: _names(data.get(section)) for section in SECTIONS})
    current = data.get("current-context")
    summary["current"] = current if isinstance(current, str) else ""
    return summary


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"kubeconfig_summary": kubeconfig_summary}
