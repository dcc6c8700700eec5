"""Memory guards (role airflow, docs/operations.md "Memory guards"): each unit's memory directives, a
task beyond its budget failing alone while the scheduler and the api-server stay up, the kernel's OOM
killer in the scheduler's cgroup taking a task rather than the scheduler, and an overcommitting
configuration refused in the preflight with the numbers.

The scenario sets [core] parallelism 4 and a 256 MiB budget (molecule.yml). The test containers run
cgroup v1 (hybrid): MemoryMax is enforced (memory.limit_in_bytes), MemoryHigh does not exist there,
OOMPolicy only acts on cgroup v2, and the container lacks CAP_SYS_RESOURCE, so systemd cannot lower
OOMScoreAdjust below 0 (it leaves 0): those three are checked as written, not as enforced."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import REPO, api, assert_fails_in_preflight, deploy_dag, main_pid, run_dag

MEMORY_DAGS = REPO / "molecule" / "resources" / "dags" / "molecule_memory.py"
BUDGET_MB, PARALLELISM, RUNTIME_MB = 256, 4, 64
# The reservations' defaults: system, api-server, scheduler, dag-processor, triggerer.
RESERVED_MB = 1024 + 1024 + 1024 + 1024 + 768
SCHEDULER_MAX_MB = 1024 + PARALLELISM * (BUDGET_MB + RUNTIME_MB)


def memory_cgroup(host: Any, unit: str) -> str:
    """The unit's directory in the cgroup v1 memory hierarchy of the host."""
    line = host.run(f"grep ':memory:' /proc/{main_pid(host, unit)}/cgroup").stdout.strip()
    return "/sys/fs/cgroup/memory" + line.split(":", 2)[2]


def oom_kills(host: Any, unit: str) -> int:
    """The kernel's OOM kills in the unit's memory cgroup so far (memory.oom_control)."""
    control = host.file(memory_cgroup(host, unit) + "/memory.oom_control").content_string
    return int(dict(line.split() for line in control.splitlines())["oom_kill"])


@pytest.mark.parametrize(("unit", "memory_max_mb", "high", "oom_score_adjust"), [
    ("airflow-api-server", 1024, True, -500),
    ("airflow-scheduler", SCHEDULER_MAX_MB, False, -500),
    ("airflow-dag-processor", 1024, True, -250),
    ("airflow-triggerer", 768, True, -250),
])
def test_each_unit_has_its_memory_directives(host: Any, unit: str, memory_max_mb: int, high: bool,
                                             oom_score_adjust: int) -> None:
    shown = dict(line.split("=", 1) for line in host.run(
        f"systemctl show -p MemoryMax -p MemoryHigh -p OOMScoreAdjust -p OOMPolicy {unit}").stdout.split())
    assert int(shown["MemoryMax"]) == memory_max_mb * 1024 * 1024, shown
    assert shown["MemoryHigh"] == (str(memory_max_mb * 9 // 10 * 1024 * 1024) if high else "infinity"), shown
    assert (int(shown["OOMScoreAdjust"]), shown["OOMPolicy"]) == (oom_score_adjust, "continue"), shown
    # Enforced here: cgroup v1 gets MemoryMax as memory.limit_in_bytes.
    limit = int(host.file(memory_cgroup(host, unit) + "/memory.limit_in_bytes").content_string)
    assert limit == memory_max_mb * 1024 * 1024
    usage = int(host.file(memory_cgroup(host, unit) + "/memory.usage_in_bytes").content_string) // (1024 * 1024)
    score = host.run(f"cat /proc/{main_pid(host, unit)}/oom_score_adj").stdout.strip()
    print(f"{unit}: {usage} MiB in use of MemoryMax {memory_max_mb} MiB, oom_score_adj of the main process {score}")


def test_a_task_within_its_budget_runs_guarded(host: Any) -> None:
    """The plugin applied the guard to the task process (the task checks it) and half the budget is allowed."""
    deploy_dag(host, MEMORY_DAGS)
    run = run_dag(host, "memory_within_budget")
    assert run["task_states"] == {"within_budget": "success"}, run


def test_a_task_beyond_its_budget_fails_alone(host: Any) -> None:
    deploy_dag(host, MEMORY_DAGS)
    pids = {unit: main_pid(host, unit) for unit in ("airflow-scheduler", "airflow-api-server")}
    run = run_dag(host, "memory_over_budget")
    assert run["task_states"] == {"over_budget": "failed"}, run
    logs = host.run("grep -rl MemoryError /var/log/airflow/dag_id=memory_over_budget/")
    assert logs.rc == 0, "no MemoryError in the task's log"
    assert {unit: main_pid(host, unit) for unit in pids} == pids
    assert api(host, "GET", "/api/v2/version")[0] == 200
    # And the next task runs as before.
    assert run_dag(host, "memory_within_budget")["task_states"] == {"within_budget": "success"}


def test_the_oom_killer_in_the_scheduler_cgroup_takes_a_task_not_the_scheduler(host: Any) -> None:
    """A task's processes beyond the scheduler unit's MemoryMax (each within its own limit): the kernel
    kills one of them (oom_score_adj 500), the scheduler's main process stays, the task fails."""
    deploy_dag(host, MEMORY_DAGS)
    pids = {unit: main_pid(host, unit) for unit in ("airflow-scheduler", "airflow-api-server")}
    kills = oom_kills(host, "airflow-scheduler")
    run = run_dag(host, "memory_over_unit")
    assert run["task_states"] == {"over_unit": "failed"}, run
    assert oom_kills(host, "airflow-scheduler") > kills, "the kernel killed nothing in the scheduler's cgroup"
    assert {unit: main_pid(host, unit) for unit in pids} == pids
    assert api(host, "GET", "/api/v2/version")[0] == 200
    assert api(host, "GET", "/health", base="http://127.0.0.1:8974")[0] == 200
    assert run_dag(host, "memory_within_budget")["task_states"] == {"within_budget": "success"}


def test_an_overcommitting_configuration_is_refused_with_the_numbers(host: Any) -> None:
    memory_mb = int(host.run("awk '/^MemTotal:/ {print $2}' /proc/meminfo").stdout) // 1024
    budget = 100_000
    needed = RESERVED_MB + PARALLELISM * (budget + RUNTIME_MB)
    pid = main_pid(host, "airflow-scheduler")
    output = assert_fails_in_preflight(
        {"airflow_task_memory_budget_mb": budget},
        f"{host.backend.get_hostname()}: the Airflow components and task slots may use {needed} MiB "
        f"but the host has {memory_mb} MiB (MemTotal): 1024 MiB system (airflow_memory_system_mb)")
    fits = (memory_mb - RESERVED_MB) // PARALLELISM - RUNTIME_MB
    assert f"{PARALLELISM} LocalExecutor slots (airflow_config.core.parallelism) x ({budget} MiB budget" in output
    assert f"set airflow_task_memory_budget_mb to {fits} or less" in output
    assert main_pid(host, "airflow-scheduler") == pid
