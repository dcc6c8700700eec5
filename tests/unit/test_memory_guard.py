"""roles/airflow/files/airflow_deploy_memory_guard.py: what the plugin applies in a task process
(the molecule scenario control_plane checks it in real tasks: a task beyond its budget fails alone)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from role_files import ROLES, load

guard = load("airflow", "airflow_deploy_memory_guard.py")
SCRIPT = ROLES / "airflow" / "files" / "airflow_deploy_memory_guard.py"
STATUS = "Name:\tpython3\nVmPeak:\t  300000 kB\nVmData:\t  123456 kB\nVmStk:\t     132 kB\n"


def test_data_size_reads_vmdata_in_bytes() -> None:
    assert guard.data_size(STATUS) == 123456 * 1024
    assert guard.data_size("Name:\tkthreadd\n") is None


@pytest.mark.parametrize(("value", "expected"), [("512", 512 * 1024 * 1024), (" 64 ", 64 * 1024 * 1024),
                                                 ("0", None), ("", None), ("-5", None), ("1.5", None)])
def test_budget_is_a_positive_whole_number_of_mib(value: str, expected: int | None) -> None:
    assert guard.budget_bytes({guard.BUDGET_ENV: value}) == expected


@pytest.mark.parametrize(("value", "expected"), [("", 500), ("300", 300), ("5000", 1000), ("-2000", -1000), ("x", 500)])
def test_oom_score_adj_is_clamped_with_a_default(value: str, expected: int) -> None:
    assert guard.oom_score_adj({guard.OOM_SCORE_ADJ_ENV: value}) == expected


def test_guard_raises_the_score_but_never_lowers_it(tmp_path: Path) -> None:
    (tmp_path / "status").write_text(STATUS)
    (tmp_path / "oom_score_adj").write_text("0\n")
    assert guard.guard({guard.OOM_SCORE_ADJ_ENV: "500"}, str(tmp_path)) == {"oom_score_adj": 500}
    assert (tmp_path / "oom_score_adj").read_text() == "500"
    (tmp_path / "oom_score_adj").write_text("800\n")
    guard.guard({guard.OOM_SCORE_ADJ_ENV: "500"}, str(tmp_path))
    assert (tmp_path / "oom_score_adj").read_text() == "800\n"


def test_a_process_that_is_not_dumpable_is_dumpable_only_for_the_write(tmp_path: Path) -> None:
    """Airflow's supervisor leaves its task non-dumpable, which makes /proc/self root's: the guard
    turns dumpable on for the write and off again."""
    (tmp_path / "oom_score_adj").write_text("0\n")
    state = {"dumpable": 0}
    calls: list[tuple[int, int]] = []

    def prctl(option: int, value: int, *_rest: int) -> int:
        calls.append((option, value))
        if option == guard.PR_GET_DUMPABLE:
            return state["dumpable"]
        state["dumpable"] = value
        return 0

    guard.write_score(str(tmp_path / "oom_score_adj"), 500, prctl)
    assert (tmp_path / "oom_score_adj").read_text() == "500"
    assert calls == [(guard.PR_GET_DUMPABLE, 0), (guard.PR_SET_DUMPABLE, 1), (guard.PR_SET_DUMPABLE, 0)]
    calls.clear()
    state["dumpable"] = 1
    (tmp_path / "oom_score_adj").write_text("0\n")
    guard.write_score(str(tmp_path / "oom_score_adj"), 500, prctl)
    assert calls == [(guard.PR_GET_DUMPABLE, 0)]


def test_only_a_task_process_is_guarded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def fake_guard() -> dict[str, int]:
        calls.append(1)
        return {}

    monkeypatch.setattr(guard, "guard", fake_guard)

    class TaskRunnerMarker:
        pass

    class SchedulerJobRunner:
        pass

    listener = guard.AirflowDeployMemoryGuard.listeners[0]
    listener.on_starting(SchedulerJobRunner())
    assert calls == []
    listener.on_starting(TaskRunnerMarker())
    assert calls == [1]


CHILD = f"""
import ctypes, importlib.util, os, resource, sys
spec = importlib.util.spec_from_file_location("g", {str(SCRIPT)!r})
g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
if os.getuid() == 0:  # as the airflow user: unprivileged and, like Airflow's task, not dumpable
    os.setgid(65534); os.setuid(65534)
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
applied = g.guard({{g.BUDGET_ENV: "64", g.OOM_SCORE_ADJ_ENV: "700"}})
print(applied["oom_score_adj"], open("/proc/self/oom_score_adj").read().strip(),
      resource.getrlimit(resource.RLIMIT_DATA)[0] == applied["rlimit_data"], ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))
small = bytearray(16 * 1024 * 1024)
try:
    big = bytearray(256 * 1024 * 1024)
    print("allocated")
except MemoryError:
    print("MemoryError")
"""


def test_in_a_real_process_an_allocation_beyond_the_budget_fails_and_one_within_works() -> None:
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["700 700 True 0", "MemoryError"]
    assert resource.getrlimit(resource.RLIMIT_DATA)[0] == resource.RLIM_INFINITY  # the test process is untouched
