# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: airflow_cfg_overlap
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The keys of airflow_config that a role sets itself
description:
  - Compares C(airflow_config) (section -> key -> value) with the settings a role writes from its own variables
    (section -> list of keys) and returns the ones both set, as C(section.key). Section and key names are compared
    in lower case, as Airflow reads them.
options:
  _input:
    description: The C(airflow_config) option (section -> key -> value).
    type: dict
    required: true
  owned:
    description: Section -> keys the role sets itself (lower case).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse the role's own settings in airflow_config
  ansible.builtin.assert:
    that: "airflow_config | airflow_deploy.cluster.airflow_cfg_overlap({'logging': ['remote_logging']}) | length == 0"
"""

RETURN = r"""
_value:
  description: C(section.key) of each setting in both, in the order of C(airflow_config).
  type: list
  elements: str
"""

from collections.abc import Mapping, Sequence
from typing import Any


def airflow_cfg_overlap(config: Mapping[str, Any], owned: Mapping[str, Sequence[str]]) -> list[str]:
    """section.key of each setting of config that owned lists."""
    if not isinstance(config, Mapping):
        return []
    wanted = {str(section).lower(): {str(key).lower() for key in keys} for section, keys in owned.items()}
    return [f"{str(section).lower()}.{str(key).lower()}"
            for section, keys in config.items() if isinstance(keys, Mapping)
            for key in keys if str(key).lower() in wanted.get(str(section).lower(), set())]


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"airflow_cfg_overlap": airflow_cfg_overlap}
