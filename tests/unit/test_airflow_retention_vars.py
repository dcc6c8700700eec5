"""The airflow role's retention timers (tasks/retention.yml) as the role derives them on the controller:
which timers a host gets and when the metadata clean runs on each scheduler host."""

from __future__ import annotations

from pathlib import Path

from role_vars import render

EXPRESSION = ("{{ __airflow_retention_timers | map(attribute='name') | zip(__airflow_retention_timers | map(attribute='enabled'),"
              " __airflow_retention_timers | map(attribute='on_calendar')) | list }}")


def test_every_timer_is_on_by_default_and_each_scheduler_host_cleans_at_its_own_hour(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", EXPRESSION, {
        # The hosts of the airflow_schedulers group (this host is localhost).
        "third scheduler": {"__airflow_hosts_with_scheduler": ["airflow1", "airflow2", "localhost"]},
        "only host": {},
        "not a scheduler": {"__airflow_hosts_with_scheduler": ["airflow1"]},
    })
    assert rendered["third scheduler"] == [["airflow-log-cleanup", True, "*-*-* 03:15:00"],
                                           ["airflow-db-clean", True, "*-*-* 04:30:00"]]
    assert rendered["only host"][1] == ["airflow-db-clean", True, "*-*-* 02:30:00"]
    assert rendered["not a scheduler"][1][:2] == ["airflow-db-clean", False]


def test_a_retention_of_zero_turns_its_timer_off(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", EXPRESSION, {
        "logs kept": {"airflow_log_retention_days": 0},
        "metadata kept": {"airflow_db_retention_days": 0},
    })
    assert [timer[1] for timer in rendered["logs kept"]] == [False, True]
    assert [timer[1] for timer in rendered["metadata kept"]] == [True, False]
