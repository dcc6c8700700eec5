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


PARALLELISM = "{{ __airflow_config['core']['parallelism'] | default('unset') }}"
# A scheduler host without component groups reserves system, api-server, scheduler, dag-processor
# and triggerer: 1024 x 4 + 768 MiB; a slot is the 512 MiB budget + 64 MiB.
RESERVED_MB, SLOT_MB = 4 * 1024 + 768, 512 + 64


def test_parallelism_left_unset_is_sized_to_the_host_memory(tmp_path: Path) -> None:
    def probe(memory_mb: int) -> dict[str, object]:
        return {"__airflow_probe": {"memtotal_mb": memory_mb}}

    rendered = render(tmp_path, "airflow", PARALLELISM, {
        "8 GiB": probe(8192),
        "64 GiB": probe(65536),
        "memory not read": {},
        "set in the inventory": probe(8192) | {"airflow_config": {"core": {"parallelism": 12}}},
        "guards off": probe(8192) | {"airflow_memory_guards": False},
        "kubernetes only": probe(8192) | {"airflow_executor": "KubernetesExecutor"},
        "not a scheduler host": probe(8192) | {"__airflow_hosts_with_scheduler": ["airflow1"]},
    })
    assert rendered == {
        "8 GiB": (8192 - RESERVED_MB) // SLOT_MB,  # 5
        "64 GiB": 32,  # at most Airflow's default
        "memory not read": 32,
        "set in the inventory": 12,
        "guards off": "unset",
        "kubernetes only": "unset",
        "not a scheduler host": "unset",
    }


def test_the_scheduler_unit_holds_the_sized_slots_and_guards_off_leave_no_limits(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", UNIT_MAX, {
        "8 GiB": {"__airflow_probe": {"memtotal_mb": 8192}},
        "guards off": {"airflow_memory_guards": False},
    })
    assert rendered["8 GiB"][1] == 1024 + 5 * SLOT_MB
    assert rendered["guards off"] == []
    (tmp_path / "env").mkdir()
    environment = render(tmp_path / "env", "airflow", "{{ __airflow_unit_environment.keys() | sort }}", {
        "on": {}, "off": {"airflow_memory_guards": False}})
    assert "AIRFLOW_DEPLOY_TASK_MEMORY_BUDGET_MB" in environment["on"]
    assert not [name for name in environment["off"] if name.startswith("AIRFLOW_DEPLOY_TASK_")]
