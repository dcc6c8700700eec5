# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: health_report
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The health report of one Airflow host
description:
  - Puts together what the C(airflow_lb_healthcheck) role learnt of a host, check name to state, in this order
    (a dict keeps it).
  - Each endpoint of the C(http) result of the module C(airflow_deploy.cluster.health_info), V(healthy) or
    V(unhealthy).
  - Each component of O(jobs), V(healthy) when the jobs check printed C(<argument> alive) in O(job_lines),
    else V(unhealthy).
  - C(server on <load balancer>) for each of O(servers), HAProxy's status of the host's server there
    (V(UP) is healthy).
options:
  _input:
    description: The C(http) result of C(health_info), endpoint name to its answer (with C(healthy)).
    type: dict
    required: true
  jobs:
    description: Component to jobs check argument (see the C(health_job_checks) filter).
    type: dict
    default: {}
  job_lines:
    description: The output lines of the jobs check that judged them (C(<argument> alive|dead)).
    type: list
    elements: str
    default: []
  servers:
    description: Load balancer to the host's server status (see the C(haproxy_server_status) filter).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Report the health of this host
  ansible.builtin.debug:
    msg: >-
      {{ probe.http | airflow_deploy.cluster.health_report(jobs={'triggerer': 'TriggererJob'},
                                                            job_lines=jobs_check.stdout_lines,
                                                            servers={'lb1': 'UP'}) }}
  # msg: {api-server: healthy, metadatabase: healthy, triggerer: unhealthy, server on lb1: UP}
"""

RETURN = r"""
_value:
  description: Check name to its state; every value other than V(healthy) and V(UP) is a failure.
  type: dict
  sample: {api-server: healthy, scheduler: healthy, metadatabase: healthy, triggerer: unhealthy, "server on lb1": UP}
"""

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

HEALTHY = "healthy"
UNHEALTHY = "unhealthy"


def _state(healthy: bool) -> str:
    return HEALTHY if healthy else UNHEALTHY


def health_report(http: Mapping[str, Mapping[str, Any]], jobs: Mapping[str, str] | None = None,
                  job_lines: Sequence[str] = (), servers: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return check name -> state for one host."""
    if not isinstance(http, Mapping):
        raise AnsibleFilterError(f"health_report: the input must be the http result of health_info, got {http!r}")
    lines = set(job_lines.splitlines() if isinstance(job_lines, str) else map(str, job_lines))
    report = {str(name): _state(bool(answer.get("healthy"))) for name, answer in http.items()}
    report.update({str(component): _state(f"{check} alive" in lines) for component, check in (jobs or {}).items()})
    report.update({f"server on {balancer}": str(status) for balancer, status in (servers or {}).items()})
    return report


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"health_report": health_report}
