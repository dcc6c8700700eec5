# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: config_option_names
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The options of an Airflow configuration as section.key names
description:
  - Flattens a configuration given as section -> key -> value (C(airflow_config)) into C(section.key)
    names, for example to find the options that must not be set there.
options:
  _input:
    description: Section -> key -> value.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: No secret in airflow.cfg
  ansible.builtin.assert:
    that: airflow_config | airflow_deploy.cluster.config_option_names | intersect(['core.fernet_key']) | length == 0
"""

RETURN = r"""
_value:
  description: C(section.key) for every option, in the order of the input.
  type: list
  elements: str
"""

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError


def config_option_names(config: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """section.key for every option of every section."""
    if not isinstance(config, Mapping) or not all(isinstance(options, Mapping) for options in config.values()):
        raise AnsibleFilterError("config_option_names: the input must map sections to mappings of options")
    return [f"{section}.{key}" for section, options in config.items() for key in options]


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"config_option_names": config_option_names}
