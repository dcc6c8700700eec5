# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: aws_connection
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: An Airflow AWS connection (for S3) as the mapping Airflow reads from C(AIRFLOW_CONN_*)
description:
  - Builds the JSON form of an Airflow connection of type C(aws) for an S3 endpoint, as the roles write it
    into root-only environment files (task logs, DAG bundles) or into task pods.
  - The endpoint and the region go to C(extra) only when given. The keys go to C(login) and C(password) only
    when both are given; otherwise the connection holds no credentials and boto3 uses its credential chain
    (environment, instance profile, IRSA).
options:
  _input:
    description: The S3 endpoint URL; empty for AWS's own endpoints.
    type: str
    required: true
  region:
    description: The region name; empty to leave it to the credential chain.
    type: str
    default: ""
  access_key_id:
    description: The access key; empty for a connection without keys.
    type: str
    default: ""
  secret_access_key:
    description: The secret key matching O(access_key_id).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: The task-log connection, without keys
  ansible.builtin.debug:
    msg: "{{ 'http://s3.example:9000' | airflow_deploy.cluster.aws_connection(region='eu-west-1') | to_json }}"
  # {"conn_type": "aws", "extra": {"endpoint_url": "http://s3.example:9000", "region_name": "eu-west-1"}}
"""

RETURN = r"""
_value:
  description: C(conn_type), C(extra) and, with both keys, C(login) and C(password).
  type: dict
"""

from typing import Any

from ansible.errors import AnsibleFilterError


def aws_connection(endpoint_url: str, region: str = "", access_key_id: str = "",
                   secret_access_key: str = "") -> dict[str, Any]:
    """The connection mapping; keys only when both are given."""
    values = {"endpoint_url": endpoint_url, "region": region, "access_key_id": access_key_id,
              "secret_access_key": secret_access_key}
    wrong = [name for name, value in values.items() if not isinstance(value, str)]
    if wrong:
        raise AnsibleFilterError(f"aws_connection: {', '.join(wrong)} must be strings")
    extra = {key: value for key, value in (("endpoint_url", endpoint_url), ("region_name", region)) if value}
    connection: dict[str, Any] = {"conn_type": "aws", "extra": extra}
    if access_key_id and secret_access_key:
        connection |= {"login": access_key_id, "password": secret_access_key}
    return connection


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"aws_connection": aws_connection}
