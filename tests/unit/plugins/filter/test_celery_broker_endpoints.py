"""Unit tests of the celery_broker_endpoints filter (the Celery broker preflight)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter.celery_broker_endpoints import (
    FilterModule,
    celery_broker_endpoints,
    redact,
)


def test_redis_url_with_password_is_shown_without_it() -> None:
    assert celery_broker_endpoints("redis://:s3cr%40t@redis.example:6380/0") == [
        {"scheme": "redis", "host": "redis.example", "port": 6380, "tls": False,
         "url": "redis://:***@redis.example:6380/0"}]


def test_default_ports_and_tls() -> None:
    redis, = celery_broker_endpoints("redis://redis.example/0")
    tls, = celery_broker_endpoints("rediss://airflow:pw@redis.example/0?ssl_cert_reqs=required")
    assert (redis["port"], redis["tls"]) == (6379, False)
    assert (tls["port"], tls["tls"], tls["url"]) == (
        6379, True, "rediss://airflow:***@redis.example/0?ssl_cert_reqs=required")


def test_sentinel_list_gives_every_server_in_order() -> None:
    endpoints = celery_broker_endpoints("sentinel://:pw@s1:26379/0; sentinel://:pw@s2/0;")
    assert [(e["host"], e["port"]) for e in endpoints] == [("s1", 26379), ("s2", 26379)]
    assert all("pw" not in e["url"] for e in endpoints)


def test_ipv6_host_without_brackets() -> None:
    endpoint, = celery_broker_endpoints("redis://[fd00::5]:6379/0")
    assert endpoint["host"] == "fd00::5"


@pytest.mark.parametrize(("url", "message"), [
    ("amqp://guest:pw@rabbit:5672//", "is not a redis://, rediss:// or sentinel:// URL"),
    ("redis:///0", "names no host"),
    ("redis://:pw@redis.example:99999/0", "has a bad port"),
])
def test_bad_urls_are_named_without_their_password(url: str, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message) as error:
        celery_broker_endpoints(url)
    assert "pw" not in str(error.value)


@pytest.mark.parametrize("url", ["", "   ", None, 6379])
def test_empty_or_not_a_string_is_refused(url: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="non-empty string"):
        celery_broker_endpoints(url)


def test_redact_keeps_a_url_without_password() -> None:
    assert redact("redis://redis.example:6379/0") == "redis://redis.example:6379/0"
    assert redact("redis://user@redis.example/0") == "redis://user@redis.example/0"


def test_registered_under_its_file_name() -> None:
    assert FilterModule().filters() == {"celery_broker_endpoints": celery_broker_endpoints}
