# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: health_http_checks
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The HTTP health checks of a host's Airflow components
description:
  - Turns a host's components into the C(http) checks of the module C(airflow_deploy.cluster.health_info) for the
    C(airflow_lb_healthcheck) role, in the components' order.
  - C(api-server) is checked on C(<api_url>/api/v2/version) (no login, independent of other components) and
    C(scheduler) on O(scheduler_url); the DAG processor and the triggerer have no endpoint (see the
    C(health_job_checks) filter).
  - A host with an api-server also gets the check C(metadatabase) last, C(<api_url>/api/v2/monitor/health)
    with C(metadatabase.status) V(healthy) in its body (that endpoint always answers 200).
options:
  _input:
    description: The components of the host (C(api-server), C(scheduler), C(dag-processor), C(triggerer)).
    type: list
    elements: str
    required: true
  api_url:
    description: Base URL of the host's api-server, as seen from the host itself.
    type: str
    required: true
  scheduler_url:
    description: The scheduler's health endpoint.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the endpoints of an api-server and scheduler host
  airflow_deploy.cluster.health_info:
    http: >-
      {{ ['api-server', 'scheduler', 'triggerer']
         | airflow_deploy.cluster.health_http_checks('http://127.0.0.1:8080', 'http://127.0.0.1:8974/health') }}
"""

RETURN = r"""
_value:
  description:
    - The checks, each with C(name) and C(url), the C(metadatabase) check also with C(json_path) and C(json_value).
  type: list
  elements: dict
  sample:
    - {name: api-server, url: "http://127.0.0.1:8080/api/v2/version"}
    - {name: scheduler, url: "http://127.0.0.1:8974/health"}
    - {name: metadatabase, url: "http://127.0.0.1:8080/api/v2/monitor/health", json_path: metadatabase.status,
       json_value: healthy}
"""

from collections.abc import Sequence

from ansible.errors import AnsibleFilterError

API_SERVER = "api-server"
SCHEDULER = "scheduler"


def _components(components: Sequence[str], name: str) -> list[str]:
    if isinstance(components, str) or not isinstance(components, Sequence):
        raise AnsibleFilterError(f"{name}: the input must be a list of components, got {components!r}")
    return [str(component) for component in components]


def health_http_checks(components: Sequence[str], api_url: str, scheduler_url: str) -> list[dict[str, str]]:
    """Return the HTTP checks of the components, the metadata database last."""
    wanted = _components(components, "health_http_checks")
    urls = {API_SERVER: f"{api_url}/api/v2/version", SCHEDULER: str(scheduler_url)}
    checks = [{"name": component, "url": urls[component]} for component in wanted if component in urls]
    if API_SERVER in wanted:
        checks.append({"name": "metadatabase", "url": f"{api_url}/api/v2/monitor/health",
                       "json_path": "metadatabase.status", "json_value": "healthy"})
    return checks


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"health_http_checks": health_http_checks}
