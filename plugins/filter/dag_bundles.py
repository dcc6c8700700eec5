# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: dag_bundles
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: One Airflow DAG bundle per tenant
description:
  - Turns the tenant list of the C(airflow_dag_sync) role into C([dag_processor] dag_bundle_config_list),
    with a C(LocalDagBundle) on the tenant's synced C(current) snapshot (mode C(engine)) or an C(S3DagBundle)
    on its prefix (mode C(s3_bundle)).
  - The output depends only on its inputs, so every host gets the same list.
options:
  _input:
    description: Tenants, each a dict with C(name) and optional C(prefix) (default the name) and C(team).
    type: list
    elements: dict
    required: true
  mode:
    description: C(engine) or C(s3_bundle).
    type: str
    required: true
  root:
    description: Directory holding one synced directory per tenant (mode C(engine)).
    type: str
  bucket:
    description: Bucket (mode C(s3_bundle)).
    type: str
  prefix:
    description: Base prefix of every tenant's prefix (mode C(s3_bundle)).
    type: str
  conn_id:
    description: Airflow connection of the S3 bundles.
    type: str
  refresh_interval:
    description: Seconds between bundle refreshes.
    type: int
"""

EXAMPLES = r"""
- name: Show the bundles of two tenants
  ansible.builtin.debug:
    msg: >-
      {{ [{'name': 'team_a'}, {'name': 'team_b', 'team': 'b'}]
         | airflow_deploy.cluster.dag_bundles('engine', root='/var/lib/airflow/dags', refresh_interval=5) }}
"""

RETURN = r"""
_value:
  description: The bundle list, in the tenants' order.
  type: list
  elements: dict
"""

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

LOCAL = "airflow.dag_processing.bundles.local.LocalDagBundle"
S3 = "airflow.providers.amazon.aws.bundles.s3.S3DagBundle"


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def _bundle(tenant: Mapping[str, Any], mode: str, options: Mapping[str, Any]) -> dict[str, Any]:
    name = str(tenant["name"])
    if mode == "engine":
        kwargs: dict[str, Any] = {"path": f"{str(options['root']).rstrip('/')}/{name}/current"}
        classpath = LOCAL
    elif mode == "s3_bundle":
        kwargs = {
            "bucket_name": options["bucket"],
            "prefix": _join(str(options.get("prefix") or ""), str(tenant.get("prefix") or name)),
            "aws_conn_id": options["conn_id"],
        }
        classpath = S3
    else:
        raise AnsibleFilterError(f"dag_bundles: mode must be engine or s3_bundle, got {mode!r}")
    if options.get("refresh_interval") is not None:
        kwargs["refresh_interval"] = int(options["refresh_interval"])
    bundle: dict[str, Any] = {"name": name, "classpath": classpath, "kwargs": kwargs}
    if tenant.get("team"):
        bundle["team_name"] = str(tenant["team"])
    return bundle


def dag_bundles(tenants: Sequence[Mapping[str, Any]], mode: str, **options: Any) -> list[dict[str, Any]]:
    """Return dag_bundle_config_list for the tenants."""
    if not isinstance(tenants, Sequence) or isinstance(tenants, str):
        raise AnsibleFilterError("dag_bundles: the input must be a list of tenants")
    return [_bundle(tenant, mode, options) for tenant in tenants]


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"dag_bundles": dag_bundles}
