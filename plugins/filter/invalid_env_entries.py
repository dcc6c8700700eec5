# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: invalid_env_entries
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: Entries of an environment mapping that an environment file cannot hold
description:
  - The C(airflow) role writes environment variables into systemd units and into environment files
    that the operator CLI wrapper sources, each value in single quotes.
  - Returns the names that are not valid environment variable names (letters, digits and C(_), not
    starting with a digit) or whose value holds a single quote or a newline. Values are never returned.
options:
  _input:
    description: Environment variable name -> value.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Every entry can be written
  ansible.builtin.assert:
    that: airflow_environment | airflow_deploy.cluster.invalid_env_entries | length == 0
"""

RETURN = r"""
_value:
  description: The offending names, in the order of the input.
  type: list
  elements: str
"""

import re
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def invalid_env_entries(environment: Mapping[str, Any]) -> list[str]:
    """Names that are not environment variable names or whose value holds a single quote or a newline."""
    if not isinstance(environment, Mapping):
        raise AnsibleFilterError("invalid_env_entries: the input must be a mapping of names to values")
    return [str(name) for name, value in environment.items()
            if not _NAME.fullmatch(str(name)) or "'" in str(value) or "\n" in str(value)]


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"invalid_env_entries": invalid_env_entries}
