# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: celery_worker_command
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The arguments of C(airflow celery worker) for a worker's options
description:
  - Builds the command the C(airflow_celery_worker) unit runs after the C(airflow) program from the
    role's options, C(celery worker --queues <q1,q2> --concurrency <n>), with C(--autoscale <max,min>) in
    place of C(--concurrency) when O(autoscale) is set, then O(extra_args) as written.
  - The values are expected checked by the role's preflight (queue names without commas or spaces, a
    pool size above 0); what the filter cannot use is refused with an error naming it.
options:
  _input:
    description: The queues the worker consumes, in order.
    type: list
    elements: str
    required: true
  concurrency:
    description: The number of task slots (C(--concurrency)); ignored when O(autoscale) is set.
    type: int
    default: 16
  autoscale:
    description: C(<max>,<min>) for C(--autoscale); empty for a fixed pool.
    type: str
    default: ""
  extra_args:
    description: Extra arguments appended as written.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: The worker's command
  ansible.builtin.debug:
    msg: "{{ ['default', 'high_cpu'] | airflow_deploy.cluster.celery_worker_command(concurrency=8) }}"
  # msg: celery worker --queues default,high_cpu --concurrency 8
"""

RETURN = r"""
_value:
  description: The arguments of the C(airflow) program, one string as a systemd C(ExecStart=) takes it.
  type: str
  sample: celery worker --queues default,high_cpu --concurrency 8
"""

from collections.abc import Sequence

from ansible.errors import AnsibleFilterError


def celery_worker_command(queues: Sequence[str], concurrency: int = 16, autoscale: str = "",
                          extra_args: str = "") -> str:
    """Return the arguments of `airflow` that run a Celery worker on these queues."""
    if isinstance(queues, str) or not isinstance(queues, Sequence) or not queues:
        raise AnsibleFilterError(f"celery_worker_command: the input must be a non-empty list of queues, got {queues!r}")
    bad = [q for q in queues if not str(q) or any(c in str(q) for c in ", \t")]
    if bad:
        raise AnsibleFilterError(f"celery_worker_command: queue names may not be empty or hold commas or spaces: {bad!r}")
    words = ["celery", "worker", "--queues", ",".join(str(q) for q in queues)]
    words += ["--autoscale", autoscale] if autoscale else ["--concurrency", str(int(concurrency))]
    return " ".join(words + ([extra_args.strip()] if extra_args.strip() else []))


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"celery_worker_command": celery_worker_command}
