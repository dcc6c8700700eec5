"""DAGs of the memory guard tests (control_plane/tests/test_memory_guards.py), each one task, no retries.

The budget comes from the environment the units set (AIRFLOW_DEPLOY_TASK_MEMORY_BUDGET_MB), which
a LocalExecutor task inherits from the scheduler."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from datetime import datetime

from airflow.sdk import DAG, task

MIB = 1024 * 1024
BUDGET_MB = int(os.environ.get("AIRFLOW_DEPLOY_TASK_MEMORY_BUDGET_MB", "0"))
# A child process that holds the memory it allocates (every page touched) until it is killed.
# 12 x 200 MiB: beyond the scheduler unit's MemoryMax in the scenario (1024 + 4 slots x (256 + 64) MiB).
CHILDREN, CHILD_MB = 12, 200
HOLD = "import sys, time\nb = bytearray(int(sys.argv[1]) * 1024 * 1024)\nb[::4096] = b'x' * len(b[::4096])\ntime.sleep(600)"


def allocate(mb: int) -> int:
    """Allocate and touch mb MiB; the number of bytes held."""
    block = bytearray(mb * MIB)
    block[::4096] = b"x" * len(block[::4096])
    return len(block)


with DAG(dag_id="memory_within_budget", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
         tags=["molecule"], default_args={"retries": 0}):

    @task
    def within_budget() -> dict[str, int]:
        """Half the budget: allowed. Fails when the guard is not applied to this task process."""
        with open("/proc/self/oom_score_adj") as score:
            oom_score_adj = int(score.read())
        limit = resource.getrlimit(resource.RLIMIT_DATA)[0]
        if BUDGET_MB <= 0 or oom_score_adj != 500 or limit == resource.RLIM_INFINITY:
            raise RuntimeError(f"no guard: budget {BUDGET_MB} MiB, oom_score_adj {oom_score_adj}, RLIMIT_DATA {limit}")
        allocate(BUDGET_MB // 2)
        return {"oom_score_adj": oom_score_adj, "rlimit_data_mb": limit // MIB}

    within_budget()


with DAG(dag_id="memory_over_budget", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
         tags=["molecule"], default_args={"retries": 0}):

    @task
    def over_budget() -> None:
        """Twice the budget in one task: refused in this task (MemoryError)."""
        allocate(BUDGET_MB * 2)

    over_budget()


with DAG(dag_id="memory_over_unit", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
         tags=["molecule"], default_args={"retries": 0}):

    @task
    def over_unit() -> None:
        """Child processes, each within the inherited limit, that together exceed the scheduler unit's
        MemoryMax: the kernel's OOM killer in the unit's cgroup must take one of this task's processes
        (oom_score_adj 500), not the scheduler. Fails when a child was killed."""
        children = [subprocess.Popen([sys.executable, "-c", HOLD, str(CHILD_MB)]) for _child in range(CHILDREN)]
        deadline = time.monotonic() + 300
        try:
            while time.monotonic() < deadline and all(child.poll() is None for child in children):
                time.sleep(1)
            codes = [child.poll() for child in children]
        finally:
            for child in children:
                child.kill()
        raise RuntimeError(f"exit codes of the child processes (None: still running): {codes}")

    over_unit()
