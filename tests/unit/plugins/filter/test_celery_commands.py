"""Unit tests of the celery_worker_command and celery_flower_command filters (the units' command lines)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter.celery_flower_command import (
    FilterModule as FlowerFilters,
)
from ansible_collections.airflow_deploy.cluster.plugins.filter.celery_flower_command import celery_flower_command
from ansible_collections.airflow_deploy.cluster.plugins.filter.celery_worker_command import (
    FilterModule as WorkerFilters,
)
from ansible_collections.airflow_deploy.cluster.plugins.filter.celery_worker_command import celery_worker_command


def test_worker_with_a_fixed_pool_on_two_queues() -> None:
    assert celery_worker_command(["high_cpu", "default"], concurrency=8) == (
        "celery worker --queues high_cpu,default --concurrency 8")


def test_worker_autoscale_replaces_concurrency() -> None:
    assert celery_worker_command(["default"], concurrency=8, autoscale="16,2") == (
        "celery worker --queues default --autoscale 16,2")


def test_worker_extra_args_come_last_as_written() -> None:
    assert celery_worker_command(["default"], extra_args="  --without-mingle --hostname w1@%h ") == (
        "celery worker --queues default --concurrency 16 --without-mingle --hostname w1@%h")


def test_worker_concurrency_given_as_a_string_is_a_number() -> None:
    assert celery_worker_command(["default"], concurrency="4").endswith("--concurrency 4")  # type: ignore[arg-type]


@pytest.mark.parametrize("queues", ["default", [], ["a,b"], ["with space"], [""], None])
def test_worker_refuses_what_is_not_a_list_of_queue_names(queues: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="celery_worker_command"):
        celery_worker_command(queues)


def test_flower_on_loopback_by_default() -> None:
    assert celery_flower_command("127.0.0.1") == "celery flower --hostname 127.0.0.1 --port 5555"


@pytest.mark.parametrize("prefix", ["flower", "/flower", "/flower/"])
def test_flower_url_prefix_without_its_slashes(prefix: str) -> None:
    assert celery_flower_command("0.0.0.0", port=5556, url_prefix=prefix) == (
        "celery flower --hostname 0.0.0.0 --port 5556 --url-prefix flower")


def test_flower_slash_alone_is_no_prefix_and_extra_args_come_last() -> None:
    assert celery_flower_command("::1", url_prefix="/", extra_args="--purge_offline_workers=60") == (
        "celery flower --hostname ::1 --port 5555 --purge_offline_workers=60")


@pytest.mark.parametrize("address", ["", "10.0.0.1 --debug", None])
def test_flower_refuses_what_is_not_one_address(address: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="celery_flower_command"):
        celery_flower_command(address)


def test_both_filters_are_registered() -> None:
    assert set(WorkerFilters().filters()) == {"celery_worker_command"}
    assert set(FlowerFilters().filters()) == {"celery_flower_command"}
