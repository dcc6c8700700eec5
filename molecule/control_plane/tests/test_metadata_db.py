"""Role airflow_metadata_db: a connection with an awkward password, its settings, and database
errors caught in preflight before anything changes or restarts.

Migrations at head and the admin user are checked in test_control_plane.py with the other components;
that a re-run asks Airflow about migrations, in its check-mode run."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_fails_in_preflight, db_failure_cases, inventory_var, main_pid

ENV_FILE = "/etc/airflow/env.d/10-database.env"


def test_environment_file_is_root_only(host: Any) -> None:
    f = host.file(ENV_FILE)
    assert (f.user, f.group, f.mode) == ("root", "root", 0o600)


def test_connection_url_encodes_the_password(host: Any) -> None:
    url = host.run("airflow config get-value database sql_alchemy_conn").stdout.strip()
    password = inventory_var(host, "airflow_metadata_db_password")
    assert password not in url
    assert url.startswith("postgresql+psycopg2://airflow:molecule%20p%40ss%27w%2Frd%3A%25%3F%23%26@")
    assert url.endswith("/airflow?sslmode=prefer&connect_timeout=10")
    assert "sql_alchemy_conn" not in host.file("/etc/airflow/airflow.cfg").content_string


def test_database_reachable_with_that_url(host: Any) -> None:
    result = host.run("airflow db check")
    assert result.rc == 0, result.stdout + result.stderr


def test_pool_settings(host: Any) -> None:
    assert host.run("airflow config get-value database sql_alchemy_pool_size").stdout.strip() == "5"
    assert host.run("airflow config get-value database sql_alchemy_pool_pre_ping").stdout.strip() == "True"


@pytest.mark.parametrize("case", ["wrong password", "unreachable server"])
def test_bad_database_input_fails_in_preflight_and_restarts_nothing(host: Any, case: str) -> None:
    extra_vars, message = db_failure_cases(host)[case]
    env_before = host.file(ENV_FILE).sha256sum
    pid_before = main_pid(host, "airflow-scheduler")
    output = assert_fails_in_preflight(extra_vars, message)
    assert "wrong-password-for-molecule" not in output
    assert host.file(ENV_FILE).sha256sum == env_before
    assert main_pid(host, "airflow-scheduler") == pid_before
