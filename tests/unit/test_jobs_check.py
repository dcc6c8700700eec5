"""roles/airflow/files/airflow_jobs_check.py: arguments, report and exit status (the Airflow query
itself runs in the molecule scenarios, against a real database)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from role_files import ROLES, load

jobs_check = load("airflow", "airflow_jobs_check.py")
SCRIPT = ROLES / "airflow" / "files" / "airflow_jobs_check.py"


def test_job_types_keep_their_order_once_each() -> None:
    assert jobs_check.parse_args(["TriggererJob", "DagProcessorJob", "TriggererJob"]) == ["TriggererJob", "DagProcessorJob"]


def test_a_check_may_name_the_host_whose_jobs_it_asks_about() -> None:
    assert jobs_check.parse_args(["TriggererJob@airflow1.example.com", "TriggererJob", "TriggererJob@airflow1.example.com"]) == [
        "TriggererJob@airflow1.example.com", "TriggererJob"]


@pytest.mark.parametrize("argv", [[], ["Bogus"], ["TriggererJob", "triggerer"], ["TriggererJob@"], ["TriggererJob@ "],
                                  ["Bogus@airflow1"]])
def test_bad_arguments_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        jobs_check.parse_args(argv)
    assert exc.value.code == 2
    assert "usage: airflow-jobs-check" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("alive", "lines", "status"),
    [
        ({"DagProcessorJob": True, "TriggererJob": True}, ["DagProcessorJob alive", "TriggererJob alive"], 0),
        ({"DagProcessorJob": True, "TriggererJob": False}, ["DagProcessorJob alive", "TriggererJob dead"], 1),
        ({"SchedulerJob": False}, ["SchedulerJob dead"], 1),
        ({}, [], 1),
        ({"TriggererJob@airflow1": True, "TriggererJob@airflow2": False}, ["TriggererJob@airflow1 alive", "TriggererJob@airflow2 dead"], 1),
    ],
)
def test_report_lines_and_status(alive: dict[str, bool], lines: list[str], status: int) -> None:
    assert jobs_check.report(alive) == (lines, status)


def test_main_prints_one_line_per_job_type(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    asked: list[list[str]] = []

    def fake_check(job_types: list[str]) -> dict[str, bool]:
        asked.append(list(job_types))
        return {job_type: job_type != "TriggererJob" for job_type in job_types}

    monkeypatch.setattr(jobs_check, "check", fake_check)
    assert jobs_check.main(["DagProcessorJob", "TriggererJob"]) == 1
    assert asked == [["DagProcessorJob", "TriggererJob"]]
    assert capsys.readouterr().out == "DagProcessorJob alive\nTriggererJob dead\n"


def test_runs_from_standard_input_as_the_wrapper_runs_it() -> None:
    """The wrapper feeds the script to `python -` with the job types as arguments."""
    source = SCRIPT.read_text()
    usage = subprocess.run([sys.executable, "-", "Bogus"], input=source, capture_output=True, text=True, check=False)
    assert usage.returncode == 2
    assert "invalid check 'Bogus'" in usage.stderr
    # Valid arguments get past parsing to the Airflow import (not installed here): an error, status 1.
    no_airflow = subprocess.run([sys.executable, "-", "TriggererJob"], input=source, capture_output=True, text=True, check=False)
    assert no_airflow.returncode == 1
    assert "ModuleNotFoundError: No module named 'airflow'" in no_airflow.stderr


def test_celery_worker_checks_are_accepted_alone_or_with_a_host() -> None:
    assert jobs_check.parse_args(["CeleryWorker", "CeleryWorker@worker1.example.com", "TriggererJob"]) == [
        "CeleryWorker", "CeleryWorker@worker1.example.com", "TriggererJob"]


def test_a_worker_is_alive_when_its_node_answered_under_its_full_or_short_name() -> None:
    answered = {"celery@worker1", "celery@worker3.example.com"}
    alive = jobs_check.workers_alive(
        ["CeleryWorker@worker1.example.com", "CeleryWorker@worker2.example.com", "CeleryWorker@worker3.example.com",
         "CeleryWorker"], ["worker2.example.com", "worker2"], answered)
    assert alive == {"CeleryWorker@worker1.example.com": True, "CeleryWorker@worker2.example.com": False,
                     "CeleryWorker@worker3.example.com": True, "CeleryWorker": False}
    assert jobs_check.workers_alive(["CeleryWorker"], ["worker1.example.com"], answered) == {"CeleryWorker": True}


def test_no_answer_means_every_worker_is_dead() -> None:
    assert jobs_check.workers_alive(["CeleryWorker", "CeleryWorker@worker1"], ["worker1"], set()) == {
        "CeleryWorker": False, "CeleryWorker@worker1": False}


def test_check_asks_the_broker_only_for_worker_checks_and_keeps_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def answers() -> set[str]:
        asked.append("broker")
        return {"celery@w1"}

    monkeypatch.setattr(jobs_check, "celery_answers", answers)
    monkeypatch.setattr(jobs_check, "jobs_alive", lambda checks, local: {check: True for check in checks})
    monkeypatch.setitem(sys.modules, "airflow", type(sys)("airflow"))
    net = type(sys)("airflow.utils.net")
    net.get_hostname = lambda: "w1.example.com"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "airflow.utils", type(sys)("airflow.utils"))
    monkeypatch.setitem(sys.modules, "airflow.utils.net", net)
    assert jobs_check.check(["TriggererJob", "CeleryWorker", "CeleryWorker@w2"]) == {
        "TriggererJob": True, "CeleryWorker": True, "CeleryWorker@w2": False}
    assert asked == ["broker"]
    asked.clear()
    assert jobs_check.check(["TriggererJob"]) == {"TriggererJob": True}
    assert asked == []
