# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: health_job_checks
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The job heartbeat checks of a host's Airflow components
description:
  - Maps the components of a host whose health is their job heartbeat (C(dag-processor) to C(DagProcessorJob),
    C(triggerer) to C(TriggererJob)) or a Celery ping through the broker (C(celery-worker) to C(CeleryWorker))
    to the arguments of the C(airflow) role's C(<cli wrapper>-jobs-check),
    in the components' order. Other components (C(api-server), C(scheduler)) have endpoints and are left out.
  - With O(hostname), each argument is C(<job type>@<hostname>), so one jobs check can judge the jobs of
    several hosts; its output has one line per argument, C(<argument> alive) or C(<argument> dead).
options:
  _input:
    description: The components of the host.
    type: list
    elements: str
    required: true
  hostname:
    description: The name under which Airflow records the host's jobs; empty for the host's own check.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Check the jobs of this host
  ansible.builtin.command:
    argv: >-
      {{ ['/usr/local/bin/airflow-jobs-check']
         + (['scheduler', 'dag-processor', 'triggerer'] | airflow_deploy.cluster.health_job_checks).values() | list }}
  # argv: [/usr/local/bin/airflow-jobs-check, DagProcessorJob, TriggererJob]
"""

RETURN = r"""
_value:
  description: Component to jobs check argument, only for the components with a job heartbeat.
  type: dict
  sample: {dag-processor: DagProcessorJob@airflow1.example.com, triggerer: TriggererJob@airflow1.example.com}
"""

from collections.abc import Sequence

from ansible.errors import AnsibleFilterError

JOB_TYPES = {"dag-processor": "DagProcessorJob", "triggerer": "TriggererJob", "celery-worker": "CeleryWorker"}


def health_job_checks(components: Sequence[str], hostname: str = "") -> dict[str, str]:
    """Return component -> jobs check argument for the components with a job heartbeat."""
    if isinstance(components, str) or not isinstance(components, Sequence):
        raise AnsibleFilterError(f"health_job_checks: the input must be a list of components, got {components!r}")
    suffix = f"@{hostname}" if hostname else ""
    return {str(c): JOB_TYPES[str(c)] + suffix for c in components if str(c) in JOB_TYPES}


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"health_job_checks": health_job_checks}
