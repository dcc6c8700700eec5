# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: dag_sync_engine_config
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The configuration file of the DAG sync engine
description:
  - Builds what the C(airflow_dag_sync) role writes to C(dag-sync.json), the configuration of the sync engine
    (C(--config)), from the role's options.
  - Each tenant keeps its own keys (C(name), C(prefix), C(max_objects), C(max_bytes), C(marker)) but C(team), which
    concerns Airflow's bundle list only.
  - Credentials never go there; the engine reads them from the standard AWS chain.
options:
  _input:
    description: Tenants, each a dict with C(name) and optional C(prefix), C(max_objects), C(max_bytes), C(marker), C(team).
    type: list
    elements: dict
    required: true
  bucket:
    description: Bucket holding the DAG files of every tenant.
    type: str
    required: true
  base_prefix:
    description: Key prefix under which each tenant's prefix lives.
    type: str
    default: ""
  dest_root:
    description: Directory with one synced directory per tenant.
    type: str
    required: true
  status_dir:
    description: Directory of the tenants' status files.
    type: str
    required: true
  interval:
    description: Seconds between sync cycles.
    type: int
    required: true
  jitter:
    description: Random seconds added to each interval.
    type: int
    required: true
  parallelism:
    description: Parallel downloads per cycle.
    type: int
    required: true
  keep:
    description: Previous snapshots kept per tenant.
    type: int
    required: true
  endpoint_url:
    description: Endpoint of an S3-compatible store; left out when empty.
    type: str
    default: ""
  region:
    description: AWS region; left out when empty.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Write the engine's configuration
  ansible.builtin.copy:
    content: >-
      {{ airflow_dag_sync_tenants | airflow_deploy.cluster.dag_sync_engine_config(
           bucket='acme-dags', base_prefix='dags', dest_root='/var/lib/airflow/dags',
           status_dir='/var/lib/airflow/dags/.status', interval=10, jitter=2, parallelism=16, keep=2)
         | to_nice_json }}
    dest: /etc/airflow/dag-sync.json
    mode: "0640"
"""

RETURN = r"""
_value:
  description: The engine's configuration, a dict ready for C(to_nice_json).
  type: dict
"""

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

# Tenant keys that concern Airflow's bundle list, not the engine.
BUNDLE_ONLY_KEYS = frozenset({"team"})


def engine_tenant(tenant: Mapping[str, Any]) -> dict[str, Any]:
    """The tenant as the engine reads it: every key but those of the bundle list."""
    return {key: value for key, value in tenant.items() if key not in BUNDLE_ONLY_KEYS}


def dag_sync_engine_config(
    tenants: Sequence[Mapping[str, Any]],
    bucket: str,
    dest_root: str,
    status_dir: str,
    interval: int,
    jitter: int,
    parallelism: int,
    keep: int,
    base_prefix: str = "",
    endpoint_url: str = "",
    region: str = "",
) -> dict[str, Any]:
    """The engine's configuration; endpoint_url and region only when set."""
    if not isinstance(tenants, Sequence) or isinstance(tenants, str):
        raise AnsibleFilterError("dag_sync_engine_config: the input must be a list of tenants")
    if not all(isinstance(tenant, Mapping) for tenant in tenants):
        raise AnsibleFilterError("dag_sync_engine_config: every tenant must be a dict")
    config: dict[str, Any] = {
        "bucket": bucket,
        "base_prefix": base_prefix,
        "dest_root": dest_root,
        "status_dir": status_dir,
        "interval": interval,
        "jitter": jitter,
        "parallelism": parallelism,
        "keep": keep,
        "tenants": [engine_tenant(tenant) for tenant in tenants],
    }
    if endpoint_url:
        config["endpoint_url"] = endpoint_url
    if region:
        config["region"] = region
    return config


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"dag_sync_engine_config": dag_sync_engine_config}
