# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Pure logic of the KubernetesExecutor ``pod_mutation_hook`` (role airflow_kubernetes_executor).

Airflow builds every worker pod with ``PodGenerator.construct_pod(..., with_mutation_hook=True)``
(the executor and ``airflow kubernetes generate-dag-yaml`` alike) and then calls
``pod_mutation_hook(pod)``, which must change the ``kubernetes.client.models.V1Pod`` in place.
The rendered ``airflow_local_settings.py`` passes the role's data and Airflow's own
``PodGenerator`` functions to :func:`mutate_pod`; nothing here imports Airflow or the Kubernetes
client, so the module loads cheaply in every Airflow process and is tested with plain objects.

What the hook does, from the workload JSON in the ``base`` container's arguments
(``python -m airflow.sdk.execution_time.execute_workload --json-string <ExecuteTask JSON>``):

* queue (``ti.queue``) with a queue template: the template (a Pod holding that queue's
  resources, tolerations, node selector and affinity, already combined with the base values,
  since the merge replaces those fields) is merged over the pod with ``PodGenerator.reconcile_pods``;
* bundle (``bundle_info.name``) that is a known tenant: the ``dag-sync`` init container syncs that
  tenant only (its ``--tenant`` arguments are replaced by the tenant's own);
* labels ``airflow-deploy/queue`` and, for a known tenant, ``airflow-deploy/tenant`` (when label-safe).

Any other pod (an unexpected argument shape, a KubernetesPodOperator pod) is left untouched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BASE_CONTAINER = "base"
SYNC_CONTAINER = "dag-sync"
JSON_FLAG = "--json-string"
TENANT_FLAG = "--tenant"
QUEUE_LABEL = "airflow-deploy/queue"
TENANT_LABEL = "airflow-deploy/tenant"

_LABEL_MAX = 63
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


@dataclass(frozen=True)
class Workload:
    """What the hook needs from an ExecuteTask workload; each field None when absent."""

    queue: str | None
    bundle: str | None


def parse_workload(args: Sequence[Any] | None) -> Workload | None:
    """Read queue and bundle from ``... --json-string <JSON>`` arguments; None for any other shape."""
    if not isinstance(args, Sequence) or isinstance(args, str):
        return None
    try:
        raw = args[list(args).index(JSON_FLAG) + 1]
    except (ValueError, IndexError):
        return None
    if not isinstance(raw, str):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, Mapping):
        return None
    ti = data.get("ti")
    bundle_info = data.get("bundle_info")
    queue = ti.get("queue") if isinstance(ti, Mapping) else None
    bundle = bundle_info.get("name") if isinstance(bundle_info, Mapping) else None
    if not isinstance(queue, str) or not queue:
        queue = None
    if not isinstance(bundle, str) or not bundle:
        bundle = None
    if queue is None and bundle is None:
        return None
    return Workload(queue=queue, bundle=bundle)


def safe_label_value(value: str) -> str | None:
    """Return ``value`` as a Kubernetes label value, or None when it cannot be one.

    Characters outside ``[A-Za-z0-9-_.]`` become ``-``, the result is cut to 63 characters and
    trimmed to start and end with a letter or digit.
    """
    cleaned = re.sub(r"[^-A-Za-z0-9_.]", "-", value)[:_LABEL_MAX].strip("-_.")
    if not cleaned or not _LABEL_VALUE.match(cleaned):
        return None
    return cleaned


def narrow_sync_args(args: Sequence[str], tenant_args: Sequence[str]) -> list[str]:
    """Replace every ``--tenant X`` / ``--tenant=X`` in the sync arguments by ``tenant_args``."""
    kept: list[str] = []
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
            continue
        if arg == TENANT_FLAG:
            skip_next = True
            continue
        if arg.startswith(TENANT_FLAG + "="):
            continue
        kept.append(arg)
    return kept + list(tenant_args)


def _named(items: Sequence[Any] | None, name: str) -> Any | None:
    for item in items or ():
        if getattr(item, "name", None) == name:
            return item
    return None


def _base_args(pod: Any) -> Sequence[Any] | None:
    spec = getattr(pod, "spec", None)
    container = _named(getattr(spec, "containers", None), BASE_CONTAINER)
    return getattr(container, "args", None)


def mutate_pod(
    pod: Any,
    *,
    queue_templates: Mapping[str, str],
    tenant_args: Mapping[str, Sequence[str]],
    load_template: Callable[[str], Any],
    reconcile: Callable[[Any, Any], Any],
) -> Workload | None:
    """Apply the queue template, the tenant's sync arguments and the labels to ``pod`` in place.

    :param pod: the worker pod (a ``V1Pod`` or any object with the same attributes)
    :param queue_templates: queue name -> path of its pod template (overrides only)
    :param tenant_args: tenant (bundle) name -> the sync engine's arguments for that tenant alone
    :param load_template: path -> pod (``PodGenerator.deserialize_model_file``)
    :param reconcile: (pod, template) -> merged pod, template winning
        (``PodGenerator.reconcile_pods``)
    :return: what was read from the workload, or None when the pod was left untouched
    """
    workload = parse_workload(_base_args(pod))
    if workload is None:
        return None

    if workload.queue is not None and workload.queue in queue_templates:
        merged = reconcile(pod, load_template(queue_templates[workload.queue]))
        pod.metadata = merged.metadata
        pod.spec = merged.spec

    tenant = workload.bundle if workload.bundle in tenant_args else None
    if tenant is not None:
        spec = getattr(pod, "spec", None)
        sync = _named(getattr(spec, "init_containers", None), SYNC_CONTAINER)
        if sync is not None and sync.args:
            sync.args = narrow_sync_args(list(sync.args), tenant_args[tenant])

    metadata = getattr(pod, "metadata", None)
    if metadata is not None:
        labels = dict(getattr(metadata, "labels", None) or {})
        for key, value in ((QUEUE_LABEL, workload.queue), (TENANT_LABEL, tenant)):
            safe = safe_label_value(value) if value is not None else None
            if safe is not None:
                labels[key] = safe
        metadata.labels = labels
    return workload
