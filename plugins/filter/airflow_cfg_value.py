# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: airflow_cfg_value
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: Render a value for airflow.cfg
description:
  - Booleans become C(True)/C(False), None an empty value, lists and dicts compact JSON (for example
    C(dag_bundle_config_list)), everything else its string.
  - C(%) is doubled, since Airflow's config parser interpolates C(%(name)s).
  - Newlines are refused, since every airflow.cfg value the collection writes is one line.
options:
  _input:
    description: The value.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Render one key
  ansible.builtin.debug:
    msg: "load_examples = {{ false | airflow_deploy.cluster.airflow_cfg_value }}"
"""

RETURN = r"""
_value:
  description: The value as airflow.cfg expects it.
  type: str
"""

import json
from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError


def airflow_cfg_value(value: object) -> str:
    """Return value rendered for one airflow.cfg line."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "True" if value else "False"
    elif isinstance(value, Mapping):
        text = json.dumps(dict(value), separators=(",", ":"), sort_keys=True)
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        text = json.dumps(list(value), separators=(",", ":"))
    else:
        text = str(value)
    if "\n" in text or "\r" in text:
        raise AnsibleFilterError(f"airflow.cfg values must be a single line, got {text!r}")
    return text.replace("%", "%%")


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"airflow_cfg_value": airflow_cfg_value}
