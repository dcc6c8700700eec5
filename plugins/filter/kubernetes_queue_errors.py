# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: kubernetes_queue_errors
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The entries of the KubernetesExecutor queue templates that are not queue templates
description:
  - Checks each entry of C(airflow_kubernetes_executor_queue_templates) - the queue name must be a Kubernetes
    label value (letters, digits, C(-), C(_), C(.), at most 63, starting and ending with a letter or digit), the
    entry a dict of C(resources) (dict), C(node_selector) (dict), C(tolerations) (list) and C(affinity) (dict)
    only; an empty or null part is allowed.
  - Returns one message per wrong entry, naming the entry and what is wrong with it; an empty list when every
    entry is right.
options:
  _input:
    description: Queue name -> queue template.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the queue templates
  ansible.builtin.assert:
    that: airflow_kubernetes_executor_queue_templates | airflow_deploy.cluster.kubernetes_queue_errors | length == 0
    fail_msg: "{{ airflow_kubernetes_executor_queue_templates | airflow_deploy.cluster.kubernetes_queue_errors | join('; ') }}"
"""

RETURN = r"""
_value:
  description: One message per wrong entry, in the queues' order.
  type: list
  elements: str
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
DICT_KEYS = ("resources", "node_selector", "affinity")
LIST_KEYS = ("tolerations",)
KEYS = ("resources", "node_selector", "tolerations", "affinity")
VARIABLE = "airflow_kubernetes_executor_queue_templates"


def queue_problems(name: Any, queue: Any) -> list[str]:
    """What is wrong with one entry ([] when nothing is)."""
    problems = []
    if not isinstance(name, str) or not LABEL_VALUE.match(name):
        problems.append("the queue name is not a label value")
    if not isinstance(queue, Mapping):
        kind = "null" if queue is None else f"a {type(queue).__name__}"
        return problems + [f"the entry is {kind}, not a dict"]
    unknown = [str(key) for key in queue if key not in KEYS]
    if unknown:
        problems.append(f"unknown: {', '.join(unknown)}")
    problems += [f"{key} is not a dict" for key in DICT_KEYS if queue.get(key) and not isinstance(queue[key], Mapping)]
    problems += [f"{key} is not a list" for key in LIST_KEYS
                 if queue.get(key) and (not isinstance(queue[key], Sequence) or isinstance(queue[key], str))]
    return problems


def kubernetes_queue_errors(queues: Mapping[str, Any]) -> list[str]:
    """One message per queue template that is not one."""
    if not isinstance(queues, Mapping):
        return [f"{VARIABLE} is a {type(queues).__name__}, not a dict of queue templates"]
    messages = []
    for name, queue in queues.items():
        problems = queue_problems(name, queue)
        if problems:
            messages.append(f"{VARIABLE}['{name}'] is not a queue template ({'; '.join(problems)})")
    return messages


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"kubernetes_queue_errors": kubernetes_queue_errors}
