# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: celery_broker_endpoints
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The servers of a Celery broker URL, each with its address and a URL safe to show
description:
  - Splits a Redis broker URL of Celery (C(redis://), C(rediss://) with TLS, or C(sentinel://), several
    servers separated by C(;)) into its servers, for the preflight that reaches each one.
  - The shown URL never holds the password (C(***) in its place), so the preflight may name it.
  - A URL of another scheme, or a server without a host name, raises an error that names the URL without
    its password.
options:
  _input:
    description: The broker URL (C(airflow_celery_broker_url)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Reach every server of the broker
  ansible.builtin.wait_for:
    host: "{{ item.host }}"
    port: "{{ item.port }}"
    timeout: 5
  loop: "{{ airflow_celery_broker_url | airflow_deploy.cluster.celery_broker_endpoints }}"
  loop_control:
    label: "{{ item.url }}"
"""

RETURN = r"""
_value:
  description: One mapping per server, in the URL's order.
  type: list
  elements: dict
  contains:
    scheme:
      description: C(redis), C(rediss) or C(sentinel).
    host:
      description: The server's host name or address (IPv6 without brackets).
    port:
      description: The port; 6379 for Redis and 26379 for Sentinel when the URL has none.
    tls:
      description: Whether the connection uses TLS (C(rediss)).
    url:
      description: The server's URL with C(***) in place of a password.
"""

from typing import Any
from urllib.parse import SplitResult, urlsplit

from ansible.errors import AnsibleFilterError

DEFAULT_PORTS = {"redis": 6379, "rediss": 6379, "sentinel": 26379}


def redact(url: str) -> str:
    """The URL with *** in place of its password (each server of a ;-separated list)."""
    return ";".join(_redacted(urlsplit(part.strip())) for part in url.split(";"))


def _redacted(parts: SplitResult) -> str:
    if parts.password is None:
        return parts.geturl()
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def _endpoint(part: str, whole: str) -> dict[str, Any]:
    parts = urlsplit(part.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise AnsibleFilterError(
            f"celery_broker_endpoints: '{redact(whole)}' is not a redis://, rediss:// or sentinel:// URL")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as error:
        raise AnsibleFilterError(f"celery_broker_endpoints: '{redact(whole)}' has a bad port ({error})") from error
    if not parts.hostname:
        raise AnsibleFilterError(f"celery_broker_endpoints: '{redact(whole)}' names no host")
    return {"scheme": parts.scheme, "host": parts.hostname, "port": port, "tls": parts.scheme == "rediss",
            "url": _redacted(parts)}


def celery_broker_endpoints(url: str) -> list[dict[str, Any]]:
    """Every server of the broker URL, with a URL safe to show."""
    if not isinstance(url, str) or not url.strip():
        raise AnsibleFilterError("celery_broker_endpoints: the broker URL must be a non-empty string")
    return [_endpoint(part, url) for part in url.split(";") if part.strip()]


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"celery_broker_endpoints": celery_broker_endpoints}
