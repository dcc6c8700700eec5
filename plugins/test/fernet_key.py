# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

from collections.abc import Callable

DOCUMENTATION = r"""
name: fernet_key
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: Is the value a Fernet key
description:
  - True when the value is 32 bytes encoded as url-safe base64 (44 characters), the format of Airflow's
    C([core] fernet_key).
options:
  _input:
    description: The value to check.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse a malformed key
  ansible.builtin.assert:
    that: airflow_fernet_key is airflow_deploy.cluster.fernet_key
"""

RETURN = r"""
_value:
  description: Whether the value is a well-formed Fernet key.
  type: bool
"""

from ansible_collections.airflow_deploy.cluster.plugins.module_utils.fernet import is_fernet_key


class TestModule:
    """Jinja2 tests of the collection."""

    def tests(self) -> dict[str, Callable[[object], bool]]:
        return {"fernet_key": is_fernet_key}
