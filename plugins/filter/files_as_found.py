# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: files_as_found
author: airflow-deploy maintainers
version_added: 0.1.0
short_description: Whether files entries are already as wanted on a host
description:
  - Compares entries in the form of M(airflow_deploy.cluster.files)'s O(airflow_deploy.cluster.files#module:files)
    (path, state, content, owner, group, mode) with the C(stats) answer of M(airflow_deploy.cluster.host_probe).
  - True only when every path exists with the wanted type, content (SHA-1), owner, group and mode; a
    path the stats do not cover counts as different.
  - The same judgement M(airflow_deploy.cluster.files) makes with its O(airflow_deploy.cluster.files#module:found)
    option, for a task that writes a file with another module (such as a systemd unit).
options:
  _input:
    description: The entries.
    type: list
    elements: dict
    required: true
  stats:
    description: The C(stats) answer of M(airflow_deploy.cluster.host_probe).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Install the unit unless the preflight's probe found it as wanted
  airflow_deploy.cluster.systemd_unit:
    name: myapp.service
    content: "{{ unit_content }}"
  when: >-
    not ([{'path': '/etc/systemd/system/myapp.service', 'content': unit_content,
           'owner': 'root', 'group': 'root', 'mode': '0644'}] | airflow_deploy.cluster.files_as_found(probe.stats))
"""

RETURN = r"""
_value:
  description: Whether every entry is as wanted.
  type: bool
"""

from ansible_collections.airflow_deploy.cluster.plugins.module_utils.found import all_as_found


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"files_as_found": all_as_found}
