"""The airflow role's memory guards as the role derives them on the controller: the MemoryMax of each
component's unit (the scheduler's with its LocalExecutor slots) and the task slots of a host."""

from __future__ import annotations

from pathlib import Path

from role_vars import render

UNIT_MAX = "{{ __airflow_unit_memory | dict2items | map(attribute='value.max') | map('int') | list }}"
SLOTS = "{{ __airflow_memory_plan['slots'] }}"


def test_the_scheduler_unit_holds_its_slots_and_the_others_their_reservation(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", UNIT_MAX, {
        "defaults": {},
        "small": {"airflow_config": {"core": {"parallelism": 4}}, "airflow_task_memory_budget_mb": 256},
        "kubernetes only": {"airflow_executor": "KubernetesExecutor"},
        "both executors": {"airflow_executor": "LocalExecutor, KubernetesExecutor", "airflow_task_memory_budget_mb": 100},
        "not a scheduler host": {"__airflow_hosts_with_scheduler": ["airflow1"]},
    })
    # api-server, scheduler, dag-processor, triggerer
    assert rendered["defaults"] == [1024, 1024 + 32 * (512 + 64), 1024, 768]
    assert rendered["small"][1] == 1024 + 4 * (256 + 64)
    assert rendered["kubernetes only"][1] == 1024
    assert rendered["both executors"][1] == 1024 + 32 * (100 + 64)
    assert rendered["not a scheduler host"][1] == 1024


def test_the_task_slots_of_a_host(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", SLOTS, {
        "defaults": {},
        "parallelism as text": {"airflow_config": {"core": {"parallelism": "8"}}},
        "kubernetes only": {"airflow_executor": "KubernetesExecutor"},
    })
    assert rendered == {"defaults": 32, "parallelism as text": 8, "kubernetes only": 0}
