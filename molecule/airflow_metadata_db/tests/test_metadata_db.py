"""The metadata DB client: connection with an awkward password, migrations, admin user, preflight."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import admin_credentials, ansible_playbook, assert_fails_in_preflight, db_failure_cases, inventory_var, recap

ENV_FILE = "/etc/airflow/env.d/10-database.env"
ASK = "Ask whether migrations are pending"


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


def test_migrations_at_head(host: Any) -> None:
    result = host.run("airflow db check-migrations --migration-wait-timeout 1")
    assert result.rc == 0, result.stdout + result.stderr


def test_admin_user_exists(host: Any) -> None:
    result = host.run("airflow users list --output json")
    assert result.rc == 0, result.stderr
    assert f'"username": "{admin_credentials(host)["username"]}"' in result.stdout


@pytest.mark.parametrize("case", ["wrong password", "unreachable server"])
def test_bad_database_input_fails_in_preflight(host: Any, case: str) -> None:
    extra_vars, message = db_failure_cases(host)[case]
    before = host.file(ENV_FILE).sha256sum
    output = assert_fails_in_preflight(extra_vars, message)
    assert "wrong-password-for-molecule" not in output
    assert host.file(ENV_FILE).sha256sum == before


def task_status(output: str, task: str) -> str:
    """The first result word (ok, changed, skipping...) printed after the header of a task."""
    match = re.search(rf"TASK \[[^\]]*{re.escape(task)}\] \*+\n(\w+):", output)
    assert match, f"task {task!r} not in the output"
    return match.group(1)


def test_a_rerun_asks_airflow_and_migrates_nothing(host: Any) -> None:
    # The migration host asks Airflow on every run (no controller-side or host-side record spares it).
    result = ansible_playbook("molecule/resources/converge.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert task_status(result.stdout, ASK) == "ok", "the migration host did not ask Airflow"
    assert task_status(result.stdout, "Migrate the metadata database") == "skipping"
    assert all(counters["changed"] == 0 for counters in recap(result.stdout).values()), output[-2000:]
