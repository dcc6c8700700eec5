"""The metadata DB client: connection with an awkward password, migrations, admin user, preflight."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from typing import Any

import pytest
from conftest import admin_credentials, ansible_playbook, assert_fails_in_preflight, db_failure_cases, inventory_var, recap

ENV_FILE = "/etc/airflow/env.d/10-database.env"
INSTALL_RECORD = "/opt/airflow/.airflow-deploy-install.json"
SCHEMA_RECORD = "/opt/airflow/.airflow-deploy-schema.json"
ASK = "Ask whether migrations are pending"
# Every Alembic version table and its revisions, read with the services' own connection URL.
REVISIONS_SCRIPT = """
import json, os
from sqlalchemy import create_engine, text
engine = create_engine(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
with engine.connect() as db:
    tables = db.execute(text("SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_name LIKE 'alembic%version%'")).all()
    print(json.dumps({f"{s}.{t}": sorted(r[0] for r in db.execute(text(f'SELECT version_num FROM "{s}"."{t}"')))
                      for s, t in tables}))
"""


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


def database_revisions(host: Any) -> dict[str, list[str]]:
    command = f"set -a; . {ENV_FILE}; set +a; /opt/airflow/bin/python -c {shlex.quote(REVISIONS_SCRIPT)}"
    result = host.run(command)
    assert result.rc == 0, result.stdout + result.stderr
    return dict(json.loads(result.stdout))


def task_status(output: str, task: str) -> str:
    """The first result word (ok, changed, skipping...) printed after the header of a task."""
    match = re.search(rf"TASK \[[^\]]*{re.escape(task)}\] \*+\n(\w+):", output)
    assert match, f"task {task!r} not in the output"
    return match.group(1)


def test_schema_record_names_this_virtualenv_and_the_database_revisions(host: Any) -> None:
    record = host.file(SCHEMA_RECORD)
    assert (record.user, record.group, record.mode) == ("root", "root", 0o644)
    content = json.loads(record.content_string)
    install = hashlib.sha256(host.file(INSTALL_RECORD).content_string.encode()).hexdigest()
    revisions = database_revisions(host)
    assert {"public.alembic_version", "public.alembic_version_fab"} <= revisions.keys()
    assert content == {"install": install, "revisions": revisions}


def test_a_stale_schema_record_makes_the_role_ask_airflow_again(host: Any) -> None:
    record = json.loads(host.file(SCHEMA_RECORD).content_string)
    stale = record | {"revisions": record["revisions"] | {"public.alembic_version": ["0123456789ab"]}}
    host.run(f"echo '{json.dumps(stale)}' > {SCHEMA_RECORD}")

    first = ansible_playbook("molecule/resources/converge.yml")
    output = first.stdout + first.stderr
    assert first.returncode == 0, output[-3000:]
    assert task_status(first.stdout, ASK) == "ok", "the stale record did not make the role ask Airflow"
    assert task_status(first.stdout, "Migrate the metadata database") == "skipping"
    assert json.loads(host.file(SCHEMA_RECORD).content_string) == record
    assert sum(counters["changed"] for counters in recap(first.stdout).values()) == 1, output[-2000:]

    second = ansible_playbook("molecule/resources/converge.yml")
    assert second.returncode == 0, (second.stdout + second.stderr)[-3000:]
    assert task_status(second.stdout, ASK) == "skipping", "the record did not spare the Airflow CLI"
    assert all(counters["changed"] == 0 for counters in recap(second.stdout).values())
