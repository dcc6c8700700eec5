# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: celery_flower_command
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The arguments of C(airflow celery flower) for Flower's options
description:
  - Builds the command the C(airflow_flower) unit runs after the C(airflow) program,
    C(celery flower --hostname <address> --port <port>), then C(--url-prefix <prefix>) when O(url_prefix) is
    set (leading and trailing slashes dropped, as Flower wants it), then O(extra_args) as written.
options:
  _input:
    description: The address Flower listens on.
    type: str
    required: true
  port:
    description: The port Flower listens on.
    type: int
    default: 5555
  url_prefix:
    description: A path prefix such as C(flower) or C(/flower/); empty for none.
    type: str
    default: ""
  extra_args:
    description: Extra arguments appended as written.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Flower's command
  ansible.builtin.debug:
    msg: "{{ '10.0.0.11' | airflow_deploy.cluster.celery_flower_command(port=5555, url_prefix='/flower/') }}"
  # msg: celery flower --hostname 10.0.0.11 --port 5555 --url-prefix flower
"""

RETURN = r"""
_value:
  description: The arguments of the C(airflow) program, one string as a systemd C(ExecStart=) takes it.
  type: str
  sample: celery flower --hostname 127.0.0.1 --port 5555
"""

from ansible.errors import AnsibleFilterError


def celery_flower_command(address: str, port: int = 5555, url_prefix: str = "", extra_args: str = "") -> str:
    """Return the arguments of `airflow` that run Flower on address:port (under url_prefix, if any)."""
    if not isinstance(address, str) or not address or any(c.isspace() for c in address):
        raise AnsibleFilterError(f"celery_flower_command: the input must be one address, got {address!r}")
    prefix = str(url_prefix).strip("/")
    words = ["celery", "flower", "--hostname", address, "--port", str(int(port))]
    words += ["--url-prefix", prefix] if prefix else []
    return " ".join(words + ([extra_args.strip()] if extra_args.strip() else []))


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"celery_flower_command": celery_flower_command}
