# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""The per-task memory budget of airflow-deploy (role airflow, docs/operations.md "Memory guards").

An Airflow plugin with one listener. In each task process (Airflow calls ``on_starting`` with its
``TaskRunnerMarker`` before it parses the DAG file), and in no other Airflow process, it

* raises the process's ``oom_score_adj`` to ``AIRFLOW_DEPLOY_TASK_OOM_SCORE_ADJ`` (default 500), so
  that the kernel's OOM killer, in the unit's cgroup or on the whole host, takes a task before the
  scheduler, the api-server or any other Airflow process (they run at or below 0). Raising the own
  value needs no privilege, but the file belongs to root while the process is not dumpable, and
  Airflow's supervisor makes itself and so the task it forks non-dumpable (so that the task cannot
  read the supervisor's memory): the task is made dumpable for the write and non-dumpable again
  right after. Children of the task inherit the score;
* limits the data segment the task may still map (``RLIMIT_DATA``: heap, anonymous mappings,
  thread stacks) to what it holds now plus ``AIRFLOW_DEPLOY_TASK_MEMORY_BUDGET_MB``, so that an
  allocation beyond the budget fails in this task alone (Python raises ``MemoryError``, the task
  fails and its log says why). Soft and hard limit alike: task code cannot lift it.

The budget counts address space mapped for writing, which is at least the memory the task uses.
Processes the task starts inherit the limit as it is (an absolute size), not a budget of their own.
An unset or invalid budget leaves the limit alone. Nothing here fails a task: an error is logged.
"""

from __future__ import annotations

import ctypes
import logging
import os
import resource
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

try:  # On an Airflow host; the unit tests load this file without Airflow.
    from airflow.listeners import hookimpl
    from airflow.plugins_manager import AirflowPlugin
except ImportError:  # pragma: no cover
    def hookimpl(function: Any) -> Any:
        return function

    AirflowPlugin = object

BUDGET_ENV = "AIRFLOW_DEPLOY_TASK_MEMORY_BUDGET_MB"
OOM_SCORE_ADJ_ENV = "AIRFLOW_DEPLOY_TASK_OOM_SCORE_ADJ"
DEFAULT_OOM_SCORE_ADJ = 500
# prctl options (<linux/prctl.h>).
PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4
# The class of the ``component`` Airflow passes to on_starting in a task process (task_runner.py).
TASK_RUNNER = "TaskRunnerMarker"

log = logging.getLogger(__name__)


def data_size(status: str) -> int | None:
    """The data segment size in bytes from the text of /proc/self/status (VmData), None when absent."""
    for line in status.splitlines():
        if line.startswith("VmData:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024
    return None


def budget_bytes(environ: Mapping[str, str]) -> int | None:
    """The budget from the environment in bytes; None when unset or not a positive whole number of MiB."""
    value = environ.get(BUDGET_ENV, "").strip()
    return int(value) * 1024 * 1024 if value.isdigit() and int(value) > 0 else None


def oom_score_adj(environ: Mapping[str, str]) -> int:
    """The oom_score_adj of task processes from the environment (-1000..1000), else the default."""
    value = environ.get(OOM_SCORE_ADJ_ENV, "").strip()
    try:
        number = int(value)
    except ValueError:
        return DEFAULT_OOM_SCORE_ADJ
    return max(-1000, min(1000, number))


def libc_prctl() -> Callable[..., int] | None:
    """prctl(2) of the C library, None where it cannot be loaded."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def write_score(path: str, adj: int, prctl: Callable[..., int] | None) -> None:
    """Raise the score in path to adj (never lower it), dumpable for the write when the process is not."""
    with open(path) as current:
        if int(current.read().strip() or 0) >= adj:
            return
    dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) if prctl else 1
    if dumpable == 0 and prctl:
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    try:
        with open(path, "w") as target:
            target.write(str(adj))
    finally:
        if dumpable == 0 and prctl:
            prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def guard(environ: Mapping[str, str] | None = None, proc: str = "/proc/self",
          prctl: Callable[..., int] | None = None) -> dict[str, Any]:
    """Apply the guards to this process (the settings from environ, else os.environ); what was applied
    (for the log and the tests)."""
    environ = os.environ if environ is None else environ
    applied: dict[str, Any] = {}
    adj = oom_score_adj(environ)
    try:
        write_score(f"{proc}/oom_score_adj", adj, prctl or libc_prctl())
        applied["oom_score_adj"] = adj
    except (OSError, ValueError) as error:
        log.warning("airflow-deploy memory guard: cannot raise oom_score_adj to %s: %s", adj, error)
    budget = budget_bytes(environ)
    if budget is not None:
        try:
            with open(f"{proc}/status") as status:
                held = data_size(status.read())
            if held is not None:
                limit = held + budget
                resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
                applied["rlimit_data"] = limit
        except (OSError, ValueError) as error:
            log.warning("airflow-deploy memory guard: cannot limit the task to its budget: %s", error)
    return applied


class TaskMemoryListener:
    """The listener: guards a task process as it starts; every other Airflow process is left alone."""

    @hookimpl
    def on_starting(self, component: Any) -> None:
        if type(component).__name__ != TASK_RUNNER:
            return
        applied = guard()
        log.info("airflow-deploy memory guard: task budget %s MiB (RLIMIT_DATA %s), oom_score_adj %s",
                 os.environ.get(BUDGET_ENV, "unset"),
                 f"{applied['rlimit_data'] // (1024 * 1024)} MiB" if "rlimit_data" in applied else "unchanged",
                 applied.get("oom_score_adj", "unchanged"))


class AirflowDeployMemoryGuard(AirflowPlugin):
    """Registers the listener."""

    name = "airflow_deploy_memory_guard"
    listeners: ClassVar[list[Any]] = [TaskMemoryListener()]
