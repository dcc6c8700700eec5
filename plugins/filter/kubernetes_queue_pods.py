# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: kubernetes_queue_pods
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The pod template of each KubernetesExecutor queue
description:
  - Builds, for each queue of C(airflow_kubernetes_executor_queue_templates), the Pod that the role's
    C(pod_mutation_hook) merges over a task's pod with C(PodGenerator.reconcile_pods) when the task runs on that
    queue.
  - That merge replaces a field instead of combining it, so each Pod already holds the base values combined with
    the queue's - C(resources) combined recursively over the base resources, C(tolerations) added to the base
    ones (without duplicates), C(node_selector) combined over the base one - and the queue's C(affinity), if any.
  - Only the container C(base) (the name the executor requires) and no metadata, so the pod keeps the name and
    labels the executor gave it.
  - Parts of a queue entry of the wrong type are left out, not raised on (the C(kubernetes_queue_errors) filter
    names them), so a check can render every queue.
options:
  _input:
    description: Queue name -> dict with any of C(resources), C(tolerations), C(node_selector) and C(affinity).
    type: dict
    required: true
  resources:
    description: Resources of the base pod's container (C(airflow_kubernetes_executor_resources)).
    type: dict
    default: {}
  tolerations:
    description: Tolerations of the base pod (C(airflow_kubernetes_executor_tolerations)).
    type: list
    elements: dict
    default: []
  node_selector:
    description: Node selector of the base pod (C(airflow_kubernetes_executor_node_selector)).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Render the pod template of queue gpu
  ansible.builtin.copy:
    content: >-
      {{ (airflow_kubernetes_executor_queue_templates
          | airflow_deploy.cluster.kubernetes_queue_pods(resources=airflow_kubernetes_executor_resources))['gpu']
         | to_nice_yaml(indent=2, sort_keys=false) }}
    dest: /etc/airflow/kubernetes/pod_template_gpu.yaml
    mode: "0640"
"""

RETURN = r"""
_value:
  description: Queue name -> its Pod (C(apiVersion), C(kind), C(spec)), in the queues' order.
  type: dict
"""

from collections.abc import Mapping, Sequence
from typing import Any

BASE_CONTAINER = "base"


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def combine(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Recursive combine, as Ansible's combine(recursive=True): mappings merge, anything else replaces."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = combine(result[key], value)
        else:
            result[key] = value
    return result


def _unique(items: list[Any]) -> list[Any]:
    result: list[Any] = []
    for item in items:
        if item not in result:
            result.append(item)
    return result


def queue_pod(queue: Any, resources: Mapping[str, Any], tolerations: list[Any],
              node_selector: Mapping[str, Any]) -> dict[str, Any]:
    """The Pod of one queue entry, combined with the base values."""
    entry = _mapping(queue)
    spec: dict[str, Any] = {}
    selector = dict(node_selector) | _mapping(entry.get("node_selector"))
    if selector:
        spec["nodeSelector"] = selector
    merged_tolerations = _unique(list(tolerations) + _sequence(entry.get("tolerations")))
    if merged_tolerations:
        spec["tolerations"] = merged_tolerations
    affinity = _mapping(entry.get("affinity"))
    if affinity:
        spec["affinity"] = affinity
    spec["containers"] = [{"name": BASE_CONTAINER,
                           "resources": combine(resources, _mapping(entry.get("resources")))}]
    return {"apiVersion": "v1", "kind": "Pod", "spec": spec}


def kubernetes_queue_pods(queues: Mapping[str, Any], resources: Mapping[str, Any] | None = None,
                          tolerations: Sequence[Any] | None = None,
                          node_selector: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Queue name -> its Pod, holding the base values combined with the queue's."""
    base_resources = _mapping(resources)
    base_tolerations = _sequence(tolerations)
    base_selector = _mapping(node_selector)
    return {str(name): queue_pod(queue, base_resources, base_tolerations, base_selector)
            for name, queue in _mapping(queues).items()}


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"kubernetes_queue_pods": kubernetes_queue_pods}
