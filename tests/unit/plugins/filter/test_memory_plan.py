"""Unit tests of the memory_plan filter (the airflow role's memory preflight, docs/operations.md "Memory guards")."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter import memory_plan as plan_module
from ansible_collections.airflow_deploy.cluster.plugins.filter.memory_plan import memory_plan

RESERVED = [
    {"name": "system", "option": "airflow_memory_system_mb", "mb": 1024},
    {"name": "api-server", "option": "airflow_memory_api_server_mb", "mb": "1024"},
    {"name": "scheduler", "option": "airflow_memory_scheduler_mb", "mb": 1024, "enabled": True},
    {"name": "triggerer", "option": "airflow_memory_triggerer_mb", "mb": 768, "enabled": False},
]
LOCAL = {"name": "LocalExecutor", "option": "airflow_config.core.parallelism", "slots": 32, "enabled": True}
CELERY = {"name": "Celery worker", "option": "airflow_config.celery.worker_concurrency", "slots": 16, "enabled": False}


def test_a_plan_that_fits_adds_the_enabled_reservations_and_every_slot() -> None:
    plan = memory_plan(24105, RESERVED, [LOCAL, CELERY], 512, 64)
    assert plan["problem"] == ""
    assert (plan["needed_mb"], plan["slots"], plan["slot_mb"]) == (3072 + 32 * 576, 32, 576)
    assert plan["pool_mb"] == {"LocalExecutor": 32 * 576}
    assert plan["breakdown"] == (
        "1024 MiB system (airflow_memory_system_mb) + 1024 MiB api-server (airflow_memory_api_server_mb) + "
        "1024 MiB scheduler (airflow_memory_scheduler_mb) + 32 LocalExecutor slots (airflow_config.core.parallelism) "
        "x (512 MiB budget + 64 MiB runtime) = 21504 MiB")


def test_an_overcommitting_plan_names_the_numbers_and_what_would_fit() -> None:
    plan = memory_plan(15884, RESERVED, [LOCAL], 512, 64)
    assert plan["problem"] == (
        "the Airflow components and task slots may use 21504 MiB but the host has 15884 MiB (MemTotal): "
        + plan["breakdown"] + ". To fit, set airflow_config.core.parallelism to 22 or less, "
        "or set airflow_task_memory_budget_mb to 336 or less, or give the host more memory")
    # The values it proposes fit.
    assert memory_plan(15884, RESERVED, [dict(LOCAL, slots=22)], 512, 64)["problem"] == ""
    assert memory_plan(15884, RESERVED, [LOCAL], 336, 64)["problem"] == ""
    assert memory_plan(15884, RESERVED, [dict(LOCAL, slots=23)], 512, 64)["problem"] != ""


def test_the_celery_hook_counts_its_slots_and_each_pool_gets_its_own_fix() -> None:
    plan = memory_plan(16000, RESERVED, [LOCAL, dict(CELERY, enabled=True)], 256, 64)
    assert plan["slots"] == 48 and plan["needed_mb"] == 3072 + 48 * 320
    assert "set airflow_config.core.parallelism to 24 or less" in plan["problem"]
    assert "set airflow_config.celery.worker_concurrency to 8 or less" in plan["problem"]


def test_an_unbounded_parallelism_is_refused() -> None:
    plan = memory_plan(24105, RESERVED, [dict(LOCAL, slots="0")], 512, 64)
    assert plan["needed_mb"] is None
    assert plan["problem"].startswith("airflow_config.core.parallelism is 0, which Airflow reads as no limit")
    assert "Set it to 36 or less" in plan["problem"]


def test_reservations_alone_beyond_the_memory_ask_to_lower_them() -> None:
    plan = memory_plan(2048, RESERVED, [LOCAL], 512, 64)
    assert "lower the reservations, which alone exceed the host's memory, or give the host more memory" in plan["problem"]


def test_no_task_slots_only_the_reservations_count() -> None:
    plan = memory_plan(4096, RESERVED, [dict(LOCAL, enabled="false")], 512, 64)
    assert (plan["problem"], plan["needed_mb"], plan["pool_mb"]) == ("", 3072, {})


@pytest.mark.parametrize(("pools", "budget", "message"), [
    ([dict(LOCAL, slots="many")], 512, "airflow_config.core.parallelism is 'many', not a whole number"),
    ([LOCAL], 0, "airflow_task_memory_budget_mb is 0; it must be 1 MiB or more"),
])
def test_values_that_are_not_a_count_are_problems(pools: list[dict[str, Any]], budget: int, message: str) -> None:
    assert message in memory_plan(24105, RESERVED, pools, budget, 64)["problem"]


@pytest.mark.parametrize(("reserved", "pools", "budget"), [
    ("system", [], 512),
    ([{"name": "system"}], [], 512),
    ([], {"name": "x"}, 512),
    ([], [], "lots"),
])
def test_bad_arguments_are_refused(reserved: Any, pools: Any, budget: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="memory_plan"):
        memory_plan(1024, reserved, pools, budget)


def test_the_filter_is_registered_under_its_file_name() -> None:
    assert plan_module.FilterModule().filters() == {"memory_plan": memory_plan}


def test_an_auto_pool_is_sized_to_what_the_memory_leaves() -> None:
    auto = dict(LOCAL, slots="auto", most=32)
    plan = memory_plan(8192, RESERVED, [auto], 512, 64)
    # 8192 - 3072 reserved = 5120 MiB, by 576 MiB a slot.
    assert (plan["problem"], plan["pool_slots"], plan["slots"]) == ("", {"LocalExecutor": 8}, 8)
    assert plan["pool_mb"] == {"LocalExecutor": 8 * 576}
    assert "8 LocalExecutor slots (airflow_config.core.parallelism, sized to the memory)" in plan["breakdown"]
    assert memory_plan(65536, RESERVED, [auto], 512, 64)["pool_slots"] == {"LocalExecutor": 32}
    # Unknown memory: the most, nothing checked.
    assert memory_plan(0, RESERVED, [auto], 512, 64)["pool_slots"] == {"LocalExecutor": 32}
    assert memory_plan(0, RESERVED, [auto], 512, 64)["problem"] == ""


def test_an_auto_pool_shares_with_the_given_pools_and_refuses_a_host_without_room() -> None:
    auto = dict(LOCAL, slots="auto", most=32)
    plan = memory_plan(8192, RESERVED, [auto, dict(CELERY, enabled=True, slots=4)], 512, 64)
    assert plan["pool_slots"] == {"LocalExecutor": (5120 - 4 * 576) // 576, "Celery worker": 4}
    refused = memory_plan(3500, RESERVED, [auto], 512, 64)
    assert refused["pool_slots"] == {"LocalExecutor": 0}
    assert refused["problem"].startswith(
        "airflow_config.core.parallelism is not set, so it is sized to the host's memory, but the 3500 MiB of the host "
        "(MemTotal) leave no room for one LocalExecutor task slot of 576 MiB")
