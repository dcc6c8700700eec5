# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: fernet_key
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: Generate a new Fernet key
description:
  - Returns a fresh Fernet key (32 random bytes from the controller's CSPRNG, url-safe base64) for
    Airflow's C([core] fernet_key). Every call returns a different key, so store the result (vault) once.
options: {}
"""

EXAMPLES = r"""
- name: Make a key for a new inventory
  ansible.builtin.set_fact:
    new_key: "{{ lookup('airflow_deploy.cluster.fernet_key') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One new Fernet key.
  type: list
  elements: str
"""

from ansible.plugins.lookup import LookupBase
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.fernet import new_fernet_key


class LookupModule(LookupBase):
    """Return one new Fernet key."""

    def run(self, terms: list[object], variables: dict[str, object] | None = None, **kwargs: object) -> list[str]:
        self.set_options(var_options=variables, direct=kwargs)
        return [new_fernet_key()]
